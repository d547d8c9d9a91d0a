"""The pipeline (intake → extraction → review → outcome, audited) and human decisions flowing back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pdfplumber
import pytest
import yaml

from govauto import hookimpl
from govauto.audit import AuditTrail
from govauto.casework import CaseStore, HumanDecision, ReviewQueue, WorkCalendar
from govauto.decisions import confirm_task, decide_task
from govauto.errors import GovautoError
from govauto.jobs.queue import JobQueue
from govauto.outcome import Decision
from govauto.pipeline import ReviewRequest, process_case
from govauto.runtime import Runtime
from govauto.store import Store, open_store

EXAMPLES = Path(__file__).parents[2] / "examples" / "cases"


class Recorder:
    def __init__(self) -> None:
        self.requests: list[ReviewRequest] = []
        self.decisions: list[Decision] = []

    @hookimpl
    def govauto_review_requested(self, case: Any, task: ReviewRequest) -> None:
        self.requests.append(task)

    @hookimpl
    def govauto_decision_made(self, case: Any, decision: Decision) -> None:
        self.decisions.append(decision)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("GOVAUTO_HOME", str(tmp_path / "home"))
    return open_store(f"sqlite:///{tmp_path / 'govauto.db'}")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def runtime(recorder: Recorder) -> Runtime:
    return Runtime(plugins=[recorder])


def test_each_outcome_is_acted_on_and_every_step_audited(runtime: Runtime, store: Store, recorder: Recorder) -> None:
    done = {p.stem: process_case(runtime, store, p) for p in sorted(EXAMPLES.glob("*.yaml"))}
    assert {k: d.decision.outcome for k, d in done.items()} == {
        "approve": "approve", "correct": "correct", "refer": "refer", "reject": "reject"}
    # approve: the robot job is queued, once
    [job] = JobQueue(store).list()
    assert done["approve"].job_id == job.id and job.case_id == "NS-2026-000123"
    # correct and reject: their notices list the deficiencies / reasons with their legal basis
    correct = done["correct"]
    pdf = next(p for p in correct.notice_files if p.suffix == ".pdf")
    with pdfplumber.open(pdf) as doc:
        text = "".join(page.extract_text() or "" for page in doc.pages).replace("\n", "")
    for finding in correct.decision.findings:
        assert finding.basis.replace(" ", "")[:12] in text.replace(" ", "")
    assert CaseStore(store).get("NS-2026-000124").status == "correcting"
    assert CaseStore(store).get("NS-2026-000126").status == "rejected"
    # refer: the hook was called and the built-in opened a task in the authority's group, due by the time limit
    [request] = recorder.requests
    assert request.case_id == "NS-2026-000125" and request.group == "440305" and request.opened
    task = ReviewQueue(store, WorkCalendar.default()).get(request.opened[0])
    assert task.group == "440305" and task.due_at is not None and set(task.reasons) == set(request.reasons)
    # the audit trail: every step of every case, chain intact
    actions = [r.action for r in AuditTrail(store).for_case("NS-2026-000125")]
    assert actions == ["intake", "extraction", "review", "referral"]
    assert AuditTrail(store).verify().ok


def test_a_resubmitted_case_is_its_next_version_with_history_kept(runtime: Runtime, store: Store,
                                                                  tmp_path: Path) -> None:
    process_case(runtime, store, EXAMPLES / "correct.yaml")
    fixed = yaml.safe_load((EXAMPLES / "approve.yaml").read_text(encoding="utf-8"))
    fixed["case_id"] = "NS-2026-000124"
    (tmp_path / "fixed.yaml").write_text(yaml.safe_dump(fixed, allow_unicode=True), encoding="utf-8")
    again = process_case(runtime, store, tmp_path / "fixed.yaml")
    assert again.record.version == 2 and again.decision.outcome == "approve"
    versions = CaseStore(store).versions("NS-2026-000124")
    assert [(v.version, v.status) for v in versions] == [(1, "superseded"), (2, "approved")]
    assert versions[0].machine_decision["outcome"] == "correct"  # the first version and its review are kept


def _referred(runtime: Runtime, store: Store, recorder: Recorder) -> str:
    process_case(runtime, store, EXAMPLES / "refer.yaml")
    return recorder.requests[-1].opened[0]


def test_a_reviewers_correction_notice_lists_exactly_the_findings_kept_and_the_items_added(
        runtime: Runtime, store: Store, recorder: Recorder) -> None:
    task_id = _referred(runtime, store, recorder)
    from govauto.casework import Accounts

    Accounts(store).add_user("zhang", "correct horse battery", role="reviewer", groups=["440305"])
    machine = CaseStore(store).get("NS-2026-000125").machine_decision["findings"]
    kept = machine[0]["rule"]
    result = decide_task(runtime, store, task_id, "zhang", HumanDecision(
        "correct", kept_findings=[kept], extra_items=["请补交本人收入来源证明原件"]))
    assert result.final
    html = next(p for p in result.notice_files if p.suffix == ".html").read_text(encoding="utf-8")
    assert machine[0]["message"] in html and "请补交本人收入来源证明原件" in html
    assert CaseStore(store).get("NS-2026-000125").status == "correcting"
    final = recorder.decisions[-1]
    assert final.outcome == "correct" and [f.rule for f in final.findings] == [kept]
    assert final.engine == "user:zhang"
    decision = [r for r in AuditTrail(store).for_case("NS-2026-000125") if r.action == "decision"][-1]
    assert decision.actor == "user:zhang" and decision.detail["machine_outcome"] == "refer"


def test_overriding_a_sensitive_decision_waits_for_a_second_reviewer(runtime: Runtime, store: Store,
                                                                     recorder: Recorder) -> None:
    process_case(runtime, store, EXAMPLES / "refer.yaml")
    queue = ReviewQueue(store, WorkCalendar.default())
    record = CaseStore(store).get("NS-2026-000125")
    sensitive = queue.open(record.case_id, record.version, reasons=["test.sensitive"], findings=[],
                           group="440305", sensitive=True)
    from govauto.casework import Accounts

    accounts = Accounts(store)
    accounts.add_user("wang", "correct horse battery", role="reviewer", groups=["440305"])
    accounts.add_user("li", "correct horse staple", role="reviewer", groups=["440305"])
    first = decide_task(runtime, store, sensitive.id, "wang", HumanDecision("approve", reasons=["proof seen"]))
    assert not first.final and JobQueue(store).list() == []
    with pytest.raises(GovautoError):
        confirm_task(runtime, store, sensitive.id, "wang")  # not the same person
    second = confirm_task(runtime, store, sensitive.id, "li")
    assert second.final and second.job_id is not None
    assert recorder.decisions[-1].engine == "user:wang+li"
    actions = [r.action for r in AuditTrail(store).for_case("NS-2026-000125")]
    assert actions.index("decision") < actions.index("decision_confirmed") < actions.index("robot_queued")


def test_a_referral_whose_deadline_falls_outside_the_holiday_data_is_still_queued(
        runtime: Runtime, store: Store, recorder: Recorder, tmp_path: Path) -> None:
    late = yaml.safe_load((EXAMPLES / "refer.yaml").read_text(encoding="utf-8"))
    late["submitted_at"] = "2026-12-31T16:00:00+08:00"  # three working days later is in 2027
    (tmp_path / "late.yaml").write_text(yaml.safe_dump(late, allow_unicode=True), encoding="utf-8")
    process_case(runtime, store, tmp_path / "late.yaml")
    [request] = recorder.requests
    task = ReviewQueue(store, WorkCalendar.default()).get(request.opened[0])
    assert task.due_at is None and "no due time" in task.message
