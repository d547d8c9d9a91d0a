"""Hot reload of rule packs: a changed pack is put in force without a restart; an invalid one is refused with its
problems (file:line) and the previous version stays in force.

The setup, with real files: the shipped pack is copied into ``tmp_path`` as an *older* version (``0.9.0``, in force
2024-01-01 to 2025-07-14, the day before the shipped ``1.0.0`` starts) and registered by a plugin object beside the
built-ins. Both versions are installed without overlapping, nothing has to be disabled, and a case submitted in
June 2025 is reviewed by the copy, which the tests edit. The shipped pack is never touched: it shows that an
unchanged pack keeps its compiled form.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import govauto
from govauto.reload import PACK_POLL_ENV, PackWatcher, pack_signature, watch_executor

from ..conftest import PACK_DIR
from .test_pack_versions import _Packs

PACK_ID = "sole_proprietor.establish"
PHONE_MESSAGE = "经营者联系电话“{applicant.phone}”不是有效的大陆手机号码，请填写11位手机号码。"
JUNE = dt.date(2025, 6, 1)
BROKEN_RULE = """
  - id: applicant.phone.broken
    title: 一条写错的规则
    when: applicant.phone ==
    outcome: correct
    message: 不会出现
    basis: 无
"""


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The shipped pack copied as version 0.9.0, in force until the day before the shipped version."""
    directory = tmp_path / "establish-0.9"
    shutil.copytree(PACK_DIR, directory, ignore=shutil.ignore_patterns(".govauto-cache"))
    manifest = directory / "pack.yaml"
    text = manifest.read_text("utf-8")
    text = text.replace('version: "1.0.0"', 'version: "0.9.0"').replace("effective_from: 2025-07-15",
                                                                          "effective_from: 2024-01-01")
    text = text.replace("effective_until: null", "effective_until: 2025-07-14")
    assert 'version: "0.9.0"' in text and "effective_until: 2025-07-14" in text
    manifest.write_text(text, "utf-8")
    return directory


@pytest.fixture
def runtime(copy: Path) -> govauto.Runtime:
    return govauto.Runtime(plugins=[_Packs(copy)], load_entrypoints=False)


@pytest.fixture
def june_case(valid_case: dict[str, Any]) -> dict[str, Any]:
    valid_case["applicant"]["phone"] = "12345"
    valid_case["submitted_at"] = "2025-06-01T10:00:00+08:00"
    return valid_case


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text("utf-8")
    assert old in text
    file.write_text(text.replace(old, new), "utf-8")


def _phone_message(runtime: govauto.Runtime, case: dict[str, Any]) -> str:
    decision = runtime.review(case, extract=False)
    assert decision.pack_version == "0.9.0"
    return next(f.message for f in decision.findings if f.rule == "applicant.phone")


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.02)


def test_a_changed_message_is_in_force_after_reload_and_unchanged_packs_stay_compiled(
        runtime: govauto.Runtime, copy: Path, june_case: dict[str, Any]) -> None:
    assert _phone_message(runtime, june_case).startswith("经营者联系电话“12345”不是有效")
    shipped = runtime.pack_for(PACK_ID, dt.date(2026, 1, 1))
    before = runtime.pack_for(PACK_ID, JUNE)
    assert runtime.reload_packs().reloaded == []  # nothing changed: nothing recompiled
    assert runtime.pack_for(PACK_ID, JUNE) is before

    _edit(copy / "rules" / "10_applicant.yaml", PHONE_MESSAGE, "联系电话“{applicant.phone}”有误（热更新后）。")
    report = runtime.reload_packs()
    assert report.ok and str(report) == f"pack {PACK_ID} version 0.9.0 reloaded ({copy})"
    assert [(p.id, p.version, p.path) for p in report.reloaded] == [(PACK_ID, "0.9.0", copy)]
    assert report.changed == [copy] and PACK_DIR in report.unchanged

    assert _phone_message(runtime, june_case) == "联系电话“12345”有误（热更新后）。"  # the engine loaded the new one
    after = runtime.pack_for(PACK_ID, JUNE)
    assert after is not before and runtime.compile(runtime.pack_versions(PACK_ID)[0]) is after
    assert runtime.pack_for(PACK_ID, dt.date(2026, 1, 1)) is shipped  # not recompiled
    assert runtime.reload_packs().reloaded == []


def test_an_added_rule_file_is_picked_up(runtime: govauto.Runtime, copy: Path, june_case: dict[str, Any]) -> None:
    runtime.review(june_case, extract=False)
    june_case["applicant"]["phone"] = "13800138000"
    (copy / "rules" / "90_added.yaml").write_text(
        "rules:\n  - id: applicant.phone.added\n    title: 新增规则\n    when: applicant.phone == \"13800138000\"\n"
        "    outcome: refer\n    message: 新增的规则命中了。\n    basis: 测试\n", "utf-8")
    assert runtime.reload_packs().ok
    decision = runtime.review(june_case, extract=False)
    assert [f.rule for f in decision.findings] == ["applicant.phone.added"] and decision.outcome == "refer"


def test_a_broken_rule_is_refused_with_file_and_line_and_the_previous_version_stays(
        runtime: govauto.Runtime, copy: Path, june_case: dict[str, Any]) -> None:
    in_force = runtime.pack_for(PACK_ID, JUNE)
    rules = copy / "rules" / "10_applicant.yaml"
    lines_before = len(rules.read_text("utf-8").splitlines())
    with rules.open("a", encoding="utf-8") as handle:
        handle.write(BROKEN_RULE)
    _edit(rules, PHONE_MESSAGE, "这条消息不会生效。")  # an edit in the same change is refused with it

    report = runtime.reload_packs()
    assert not report.ok and report.reloaded == [] and report.changed == [copy]
    [problem] = report.problems
    assert problem.file == str(rules) and problem.rule == "applicant.phone.broken"
    assert problem.line is not None and lines_before < problem.line <= lines_before + BROKEN_RULE.count("\n")
    assert f"{rules}:{problem.line} [rule applicant.phone.broken]" in str(report)
    assert "previous version stays in force" in str(report)
    assert runtime.pack_for(PACK_ID, JUNE) is in_force
    assert _phone_message(runtime, june_case).startswith("经营者联系电话“12345”不是有效")
    assert not runtime.reload_packs().ok  # still broken: still refused

    _edit(rules, "when: applicant.phone ==\n", "when: applicant.phone == \"1\"\n")
    report = runtime.reload_packs()
    assert report.ok and [p.version for p in report.reloaded] == ["0.9.0"]
    assert _phone_message(runtime, june_case) == "这条消息不会生效。"


def test_an_overlapping_period_is_refused(runtime: govauto.Runtime, copy: Path, june_case: dict[str, Any]) -> None:
    in_force = runtime.pack_for(PACK_ID, JUNE)
    _edit(copy / "pack.yaml", "effective_until: 2025-07-14", "effective_until: 2025-08-01")
    report = runtime.reload_packs()
    assert not report.ok
    assert any("both in force from 2025-07-15 to 2025-08-01" in p.message for p in report.problems)
    assert runtime.pack_for(PACK_ID, JUNE) is in_force
    assert runtime.pack_versions(PACK_ID)[0].effective_until == dt.date(2025, 7, 14)


def test_another_directorys_id_and_version_is_refused(runtime: govauto.Runtime, copy: Path) -> None:
    in_force = runtime.pack_for(PACK_ID, JUNE)
    _edit(copy / "pack.yaml", 'version: "0.9.0"', 'version: "1.0.0"')
    report = runtime.reload_packs()
    assert [p.file for p in report.problems] == [str(copy / "pack.yaml")]
    assert "version 1.0.0 is registered twice" in report.problems[0].message
    assert runtime.pack_for(PACK_ID, JUNE) is in_force


def test_a_pack_not_read_yet_is_left_to_its_first_use(copy: Path) -> None:
    runtime = govauto.Runtime(plugins=[_Packs(copy)], load_entrypoints=False)
    assert runtime.pack_signatures() == {}
    report = runtime.reload_packs()
    assert report.ok and report.reloaded == [] and report.changed == []


def test_the_signature_follows_pack_yaml_and_rule_files(copy: Path) -> None:
    first = pack_signature(copy)
    assert first[0] == str(copy) and first[1][0][0] == "pack.yaml"
    _edit(copy / "examples" / "approve_no_name.yaml", "case:", "case:  ")  # examples do not matter to reviews
    assert pack_signature(copy) == first
    (copy / "rules" / "99_new.yaml").write_text("rules: []\n", "utf-8")
    assert pack_signature(copy) != first


def test_the_watcher_picks_up_a_change_and_logs_a_refusal_once(runtime: govauto.Runtime, copy: Path,
                                                               june_case: dict[str, Any],
                                                               caplog: pytest.LogCaptureFixture) -> None:
    _phone_message(runtime, june_case)
    caplog.set_level(logging.INFO, logger="govauto.reload")
    rules = copy / "rules" / "10_applicant.yaml"
    with PackWatcher(runtime, interval=0.05) as watcher:
        assert watcher.running
        _edit(rules, PHONE_MESSAGE, "联系电话“{applicant.phone}”有误（监视器）。")
        _wait_for(lambda: _phone_message(runtime, june_case) == "联系电话“12345”有误（监视器）。")
        _wait_for(lambda: "pack sole_proprietor.establish version 0.9.0 reloaded" in caplog.text)

        with rules.open("a", encoding="utf-8") as handle:
            handle.write(BROKEN_RULE)
        _wait_for(lambda: "rule pack change refused" in caplog.text)
        time.sleep(0.3)  # several more polls: the refusal is not logged again while the files stay the same
        refusals = [r for r in caplog.records if "refused" in r.getMessage()]
        assert len(refusals) == 1 and refusals[0].levelno == logging.ERROR
        assert f"{rules}:" in refusals[0].getMessage() and "applicant.phone.broken" in refusals[0].getMessage()
        assert _phone_message(runtime, june_case) == "联系电话“12345”有误（监视器）。"
    assert not watcher.running


def test_the_watcher_never_raises_and_waits_for_a_runtime(caplog: pytest.LogCaptureFixture) -> None:
    assert PackWatcher(lambda: None).check() is None

    def broken() -> govauto.Runtime:
        raise RuntimeError("boom")

    assert PackWatcher(broken).check() is None
    assert "checking the rule packs for changes failed" in caplog.text


def test_workers_watch_only_when_asked(monkeypatch: pytest.MonkeyPatch, runtime: govauto.Runtime) -> None:
    class Executor:
        def __init__(self) -> None:
            self.runtime = runtime

    monkeypatch.delenv(PACK_POLL_ENV, raising=False)
    assert watch_executor(Executor()) is None
    monkeypatch.setenv(PACK_POLL_ENV, "0.5")
    assert watch_executor(object()) is None  # no runtime: nothing to reload
    watcher = watch_executor(Executor())
    assert watcher is not None and watcher.running and watcher.interval == 0.5
    watcher.stop()


@pytest.fixture
def web_client(tmp_path: Path, runtime: govauto.Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from govauto.web import create_app

    monkeypatch.setenv("GOVAUTO_ESCALATE_SECONDS", "0")
    monkeypatch.setenv("GOVAUTO_SECRET_KEY", "x" * 32)

    def client(**options: Any) -> Any:
        app = create_app(f"sqlite:///{tmp_path / 'govauto.db'}", runtime=runtime, home=tmp_path, **options)
        return TestClient(app)

    yield client


def test_the_web_app_runs_a_pack_watcher_while_it_runs(web_client: Any, runtime: govauto.Runtime, copy: Path,
                                                       june_case: dict[str, Any],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _phone_message(runtime, june_case)
    monkeypatch.setenv(PACK_POLL_ENV, "0.05")
    client = web_client()
    with client:
        watcher = client.app.state.pack_watcher
        assert isinstance(watcher, PackWatcher) and watcher.running and watcher.interval == 0.05
        _edit(copy / "rules" / "10_applicant.yaml", PHONE_MESSAGE, "联系电话“{applicant.phone}”有误（网页）。")
        _wait_for(lambda: _phone_message(runtime, june_case) == "联系电话“12345”有误（网页）。")
    assert not watcher.running

    monkeypatch.setenv(PACK_POLL_ENV, "0")  # --no-reload-packs
    client = web_client()
    with client:
        assert client.app.state.pack_watcher is None
    monkeypatch.delenv(PACK_POLL_ENV)
    client = web_client(pack_poll=0)
    with client:
        assert client.app.state.pack_watcher is None
    client = web_client()
    with client:
        assert client.app.state.pack_watcher.interval == 2.0  # the default


@pytest.mark.parametrize(("args", "poll"), [([], ""), (["--no-reload-packs"], "0")])
def test_serve_reload_packs_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                   poll: str | None) -> None:
    """``--no-reload-packs`` travels in ``GOVAUTO_PACK_POLL=0`` (so ``--workers`` processes see it too)."""
    import os

    import typer
    import uvicorn
    from typer.testing import CliRunner

    from govauto.web.cli import serve_command

    monkeypatch.setenv(PACK_POLL_ENV, "")  # unset (the default); monkeypatch restores what serve sets
    monkeypatch.setenv("GOVAUTO_HOME", str(tmp_path))
    ran: list[str | None] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: ran.append(os.environ.get(PACK_POLL_ENV)))
    app = typer.Typer()
    app.command("serve")(serve_command)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["serve", "--db", f"sqlite:///{tmp_path / 'govauto.db'}", *args])
    assert result.exit_code == 0, result.output
    assert ran == [poll]
