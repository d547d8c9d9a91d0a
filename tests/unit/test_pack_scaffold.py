"""`govauto pack new`: the scaffolded pack passes `pack check` and `pack test` at once; the walkthrough of the
rule author's guide ("Start a new pack") is run command by command, so it stays true."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from govauto import Runtime
from govauto.cli import app
from govauto.rules.scaffold import BASIS_TODO, new_pack
from govauto.testing.packs import run_examples

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "rule-authors.md"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_new_pack_passes_check_and_test(tmp_path: Path) -> None:
    code, output = _run("pack", "new", "sole_proprietor.change", "--dir", str(tmp_path))
    assert code == 0, output
    pack = tmp_path / "sole_proprietor" / "change"
    for name in ("pack.yaml", "rules/10_first_rule.yaml", "README.md", "test_pack_sole_proprietor_change.py"):
        assert (pack / name).is_file()
        assert str(pack / name) in output
    assert "govauto pack check" in output and "govauto pack test" in output
    meta = yaml.safe_load((pack / "pack.yaml").read_text(encoding="utf-8"))
    assert meta["id"] == meta["matter"] == "sole_proprietor.change"
    assert meta["version"] == "1.0.0" and meta["effective_until"] is None and meta["sources"] == []
    rule = yaml.safe_load((pack / "rules" / "10_first_rule.yaml").read_text(encoding="utf-8"))["rules"][0]
    assert rule["when"] == "missing(business.uscc)" and rule["outcome"] == "correct" and rule["basis"] == BASIS_TODO
    examples = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (pack / "examples").glob("*.yaml")}
    assert sorted(e["expect"]["outcome"] for e in examples.values()) == ["approve", "correct"]

    code, output = _run("pack", "check", str(pack))
    assert code == 0, output
    assert "(1 rules, 2 example cases)" in output
    code, output = _run("pack", "test", str(pack))
    assert code == 0, output
    assert f"{2 * len(Runtime().engines)} passed, 0 failed" in output


def test_pytest_runs_the_new_pack(tmp_path: Path) -> None:
    """`pytest DIR` runs the scaffolded test file and, through the plugin, each example per engine."""
    pack = new_pack(Runtime(), "sole_proprietor.establish", tmp_path)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pack)],
                            cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{2 + 2 * len(Runtime().engines)} passed" in result.stdout


def test_options(tmp_path: Path) -> None:
    code, output = _run("pack", "new", "sole_proprietor.deregister", "--dir", str(tmp_path), "--id", "drafts.dereg",
                        "--version", "2.0.0", "--effective-from", "2027-01-01", "--title", "注销草稿")
    assert code == 0, output
    pack = tmp_path / "drafts" / "dereg"
    meta = yaml.safe_load((pack / "pack.yaml").read_text(encoding="utf-8"))
    assert (meta["id"], meta["version"], str(meta["effective_from"]), meta["title"]) == \
        ("drafts.dereg", "2.0.0", "2027-01-01", "注销草稿")
    assert all(r.passed for r in run_examples(pack))


def test_unknown_matter_exits_2(tmp_path: Path) -> None:
    code, output = _run("pack", "new", "no.such.matter", "--dir", str(tmp_path))
    assert code == 2
    assert "sole_proprietor.establish" in output and not any(tmp_path.iterdir())


def test_bad_date_and_id_exit_2(tmp_path: Path) -> None:
    new = ("pack", "new", "sole_proprietor.change", "--dir", str(tmp_path))
    assert _run(*new, "--effective-from", "26.11.2026")[0] == 2
    assert _run(*new, "--id", "Bad Id")[0] == 2
    assert not any(tmp_path.iterdir())


def test_existing_directory_exits_2_unless_force(tmp_path: Path) -> None:
    pack = tmp_path / "sole_proprietor" / "change"
    pack.mkdir(parents=True)
    (pack / "notes.txt").write_text("mine", encoding="utf-8")
    code, output = _run("pack", "new", "sole_proprietor.change", "--dir", str(tmp_path))
    assert code == 2 and "already exists" in output and "change" in output
    assert not (pack / "pack.yaml").exists()
    code, output = _run("pack", "new", "sole_proprietor.change", "--dir", str(tmp_path), "--force")
    assert code == 0, output
    assert (pack / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert _run("pack", "test", str(pack))[0] == 0


def test_no_example_to_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = Runtime()
    monkeypatch.setattr(runtime, "packs", dict)  # no installed pack to copy an example from
    pack = new_pack(runtime, "sole_proprietor.change", tmp_path)
    assert not (pack / "examples").exists()
    assert "TODO" in (pack / "README.md").read_text(encoding="utf-8")
    assert Runtime().compile(pack).pack.examples == [] and run_examples(pack) == []


STEP = re.compile(r"<!-- walkthrough -->\n```console\n(?P<commands>.*?)^```$"
                  r"|<!-- walkthrough-file: (?P<path>\S+) -->\n```yaml\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def test_walkthrough_from_nothing_to_a_reviewed_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's walkthrough, step by step in the order written: its commands (the console blocks after
    `<!-- walkthrough -->`) all succeed, and its files (the yaml blocks after `<!-- walkthrough-file: PATH -->`) are
    written where they say, into what the commands made. It ends with a review of the new matter's example."""
    steps = list(STEP.finditer(GUIDE.read_text(encoding="utf-8")))
    commands = [line[2:] for step in steps if step["commands"] for line in step["commands"].splitlines()
                if line.startswith("$ ")]
    assert [c.split()[1:3] for c in commands] == [["matter", "new"], ["pack", "new"], ["pack", "check"],
                                                  ["pack", "test"], ["pack", "test"], ["--packs", "drafts"]]
    assert sum(1 for step in steps if step["path"]) == 2, "the walkthrough adds a rule file and an example"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVAUTO_PACKS", "")  # `govauto --packs` sets it; monkeypatch puts it back afterwards
    outputs: list[str] = []
    for step in steps:
        if step["path"]:
            target = tmp_path / step["path"]
            assert target.parent.is_dir(), f"{step['path']}: the commands before it made no {target.parent}"
            target.write_text(step["body"], encoding="utf-8")
            continue
        for line in step["commands"].splitlines():
            if line.startswith("$ "):
                code, output = _run(*shlex.split(line[2:])[1:])
                assert code == 0, f"{line}\n{output}"
                outputs.append(output)
    pack = tmp_path / "drafts" / "food_stall" / "permit"
    assert sorted(p.name for p in pack.iterdir()) == ["README.md", "examples", "matter.yaml", "pack.yaml", "rules",
                                                      "test_pack_food_stall_permit.py"]
    engines = len(Runtime().engines)
    assert f"{2 * engines} passed, 0 failed" in outputs[3]  # the scaffold's two examples
    assert f"{3 * engines} passed, 0 failed" in outputs[4]  # and the one the walkthrough added
    review = outputs[5]
    assert "FS-2026-000002" in review and "→ refer food_stall.permit 1.0.0" in review
    assert "premises.area.too_large: 经营场所面积为25平方米" in review


def test_the_installed_matter_commands_of_the_guide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands under "A new pack for an installed matter" succeed."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## A new pack for an installed matter"):]
    block = re.search(r"```console\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert block is not None
    commands = [line[2:] for line in block[1].splitlines() if line.startswith("$ ")]
    assert [c.split()[:3] for c in commands] == [["govauto", "pack", "new"], ["govauto", "pack", "check"],
                                                ["govauto", "pack", "test"]]
    monkeypatch.chdir(tmp_path)
    for command in commands:
        code, output = _run(*shlex.split(command)[1:])
        assert code == 0, f"{command}\n{output}"
