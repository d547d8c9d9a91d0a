"""``govauto report``: KPIs computed from a real store (the example cases through the pipeline, a reviewer's
decision, robot jobs finished through the queue), and their text, JSON, CSV and HTML renderings."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

import govauto.audit
import govauto.casework.cases
from govauto.casework import Accounts, HumanDecision, ReviewQueue, WorkCalendar
from govauto.decisions import decide_task
from govauto.jobs.model import ExecutionResult
from govauto.jobs.queue import JobQueue
from govauto.model import CHINA
from govauto.pipeline import process_case
from govauto.report import TABLE_COLUMNS, Report, build_report, percentile
from govauto.report_cli import report_command
from govauto.runtime import Runtime
from govauto.store import Store, open_store

EXAMPLES = Path(__file__).parents[2] / "examples" / "cases"
REFER_RULE = "applicant.age.minor_own_income"
OLD_CASE = "NS-2026-000900"


@dataclass(frozen=True)
class World:
    store: Store
    url: str
    today: date
    old_day: date
    task_id: str
    tmp: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVAUTO_HOME", str(tmp / "home"))
        url = f"sqlite:///{tmp / 'govauto.db'}"
        store = open_store(url)
        runtime = Runtime()
        done = {p.stem: process_case(runtime, store, p) for p in sorted(EXAMPLES.glob("*.yaml"))}
        [task_id] = done["refer"].task_ids
        Accounts(store).add_user("zhang", "a long password", role="reviewer", groups=["440305"])
        decided = decide_task(runtime, store, task_id, "zhang",
                              HumanDecision("approve", reasons=["the applicant's own income is proven"]))
        assert decided.final and decided.job_id is not None
        queue = JobQueue(store)
        first = queue.lease("worker-1")
        assert first is not None and first.case_id == "NS-2026-000123"
        queue.finish(first.id, "worker-1", ExecutionResult("needs_review", error_kind="business",
                                                           message="the target refused the business name"))
        second = queue.lease("worker-1")
        assert second is not None and second.id == decided.job_id
        queue.finish(second.id, "worker-1", ExecutionResult("succeeded", receipt="GS-2026-1"))
        # one more case, taken in 40 days ago: outside the period the tests ask about
        then = datetime.now(UTC) - timedelta(days=40)
        mp.setattr(govauto.casework.cases, "_utcnow", lambda: then)
        mp.setattr(govauto.audit, "_utcnow", lambda: then)
        old = yaml.safe_load((EXAMPLES / "reject.yaml").read_text(encoding="utf-8"))
        old["case_id"] = OLD_CASE
        (tmp / "old.yaml").write_text(yaml.safe_dump(old, allow_unicode=True), encoding="utf-8")
        process_case(runtime, store, tmp / "old.yaml", base_dir=EXAMPLES)
        mp.undo()
        today = datetime.now(CHINA).date()
        yield World(store, url, today, then.astimezone(CHINA).date(), task_id, tmp)
        store.dispose()


@pytest.fixture(scope="module")
def report(world: World) -> Report:
    return build_report(world.store, start=world.today - timedelta(days=7), end=world.today)


def test_outcomes_and_straight_through(report: Report) -> None:
    s = report.summary
    assert s["submissions"] == 4 and s["cases"] == 4 and s["decided"] == 4 and s["pending"] == 0
    assert s["machine_outcomes"] == {"approve": 1, "correct": 1, "refer": 1, "reject": 1}
    assert s["final_outcomes"] == {"approve": 2, "correct": 1, "reject": 1}
    assert report.tables["outcomes"] == [
        {"matter": "sole_proprietor.establish", "machine_outcome": m, "final_outcome": f, "count": 1}
        for m, f in [("approve", "approve"), ("correct", "correct"), ("refer", "approve"), ("reject", "reject")]]
    # the approved case needed a person after all (the robot's review task): only 补正 and reject went through
    assert s["straight_through"] == {"count": 2, "total": 4, "rate": 0.5}
    assert s["machine_decided"] == {"count": 3, "total": 4, "rate": 0.75}


def test_referrals_overrides_and_correction_rates(report: Report) -> None:
    assert report.summary["referred"] == 1
    assert report.tables["referrals_by_rule"] == [{"rule": REFER_RULE, "count": 1}]
    assert report.tables["referrals_by_reason"] == [{"reason": REFER_RULE, "count": 1}]
    assert report.summary["decisions"] == {"count": 1, "overrides": 1, "rate": 1.0}
    assert report.tables["human_decisions"] == [{"machine_outcome": "refer", "human_outcome": "approve", "count": 1}]
    assert report.tables["overrides_by_rule"] == [{"rule": REFER_RULE, "decisions": 1, "overrides": 1, "dropped": 1}]
    rows = report.tables["correction_by_rule"]
    assert len(rows) == 7 and {r["count"] for r in rows} == {1} and {r["rate"] for r in rows} == {0.25}
    assert {"name.suffix", "premises.proof.missing"} <= {r["rule"] for r in rows}
    assert [r["rule"] for r in rows] == sorted(r["rule"] for r in rows)  # ties by rule id


def test_stage_times_sla_and_robot_failures(world: World, report: Report) -> None:
    times = {r["stage"]: r for r in report.tables["stage_times"]}
    assert {k: v["count"] for k, v in times.items()} == {
        "intake_to_review": 4, "referral_to_decision": 1, "approve_to_receipt": 1, "intake_to_final": 4}
    for row in times.values():
        assert 0 <= row["median_seconds"] <= row["p90_seconds"] < 600
    task = ReviewQueue(world.store, WorkCalendar.default()).get(world.task_id)
    assert task.due_at is not None and task.decided_at is not None
    late = task.decided_at > task.due_at
    assert report.summary["sla"] == {"tasks_with_due": 1, "breaches": int(late), "decided_late": int(late),
                                     "open_overdue": 0}
    assert report.summary["robot"] == {"jobs": 2, "finished": 2, "failed": 1, "rate": 0.5}
    assert report.tables["robot_failures_by_kind"] == [
        {"error_kind": "business", "failed": 0, "needs_review": 1, "count": 1, "rate": 0.5}]
    assert {(r["status"], r["error_kind"], r["count"]) for r in report.tables["robot_jobs"]} == {
        ("needs_review", "business", 1), ("succeeded", None, 1)}


def test_sla_counts_open_tasks_past_due(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVAUTO_HOME", str(tmp_path / "home"))
    store = open_store(f"sqlite:///{tmp_path / 'govauto.db'}")
    [task_id] = process_case(Runtime(), store, EXAMPLES / "refer.yaml").task_ids
    due = ReviewQueue(store, WorkCalendar.default()).get(task_id).due_at
    assert due is not None
    before = build_report(store, now=due - timedelta(minutes=1))
    assert before.summary["sla"] == {"tasks_with_due": 1, "breaches": 0, "decided_late": 0, "open_overdue": 0}
    after = build_report(store, now=due + timedelta(hours=2))
    assert after.summary["sla"] == {"tasks_with_due": 1, "breaches": 1, "decided_late": 0, "open_overdue": 1}
    [row] = after.tables["sla_breaches"]
    assert row["task_id"] == task_id and row["kind"] == "open_overdue" and row["late_seconds"] == 7200
    assert after.summary["pending"] == 1 and after.summary["final_outcomes"] == {"pending": 1}
    store.dispose()


def test_the_period_and_matter_filters(world: World) -> None:
    assert build_report(world.store).summary["submissions"] == 5
    old = build_report(world.store, start=world.old_day, end=world.old_day)
    assert old.summary["submissions"] == 1 and old.summary["final_outcomes"] == {"reject": 1}
    assert old.summary["straight_through"]["count"] == 1
    empty = build_report(world.store, start=world.today + timedelta(days=1))
    assert empty.empty and "nothing to report" in empty.to_text()
    assert build_report(world.store, matter="nothing.here").empty
    with pytest.raises(ValueError, match="swap"):
        build_report(world.store, start=world.today, end=world.today - timedelta(days=1))


def test_json_text_and_csv(world: World, report: Report) -> None:
    data = json.loads(report.to_json())
    assert set(data) == {"generated_at", "period", "empty", "summary", "tables"}
    assert data["period"]["from"] == (world.today - timedelta(days=7)).isoformat()
    assert set(data["tables"]) == set(TABLE_COLUMNS)
    text = report.to_text()
    assert "straight-through: 2/4 = 50.0%" in text and REFER_RULE in text
    files = report.write_csv(world.tmp / "csv")
    assert {p.name for p in files} == {f"{name}.csv" for name in TABLE_COLUMNS}
    with (world.tmp / "csv" / "outcomes.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 and rows[0]["count"] == "1"


def test_html_is_self_contained_with_plotly_charts(report: Report) -> None:
    page = report.to_html()
    assert 'class="plotly-graph-div"' in page
    assert len(page) > 1_000_000 and "Plotly" in page  # plotly.js itself is embedded
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", page, re.IGNORECASE)
    assert page.count("<script src=") == 0
    assert report.period_text in page or "China time" in page
    assert "generated" in page


def test_html_escapes_text_and_empty_periods(world: World) -> None:
    empty = build_report(world.store, matter="<script>alert(1)</script>")
    page = empty.to_html()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "nothing to report" in page and "plotly-graph-div" not in page


def test_percentile() -> None:
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([float(i) for i in range(1, 11)], 0.9) == pytest.approx(9.1)


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(report_command)
    return app


def test_cli_json_csv_html(world: World) -> None:
    html_file, csv_dir = world.tmp / "out" / "report.html", world.tmp / "cli-csv"
    result = CliRunner().invoke(_cli(), [
        "--db", world.url, "--from", (world.today - timedelta(days=7)).isoformat(), "--to", world.today.isoformat(),
        "--json", "--csv", str(csv_dir), "--html", str(html_file)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["submissions"] == 4 and data["summary"]["straight_through"]["count"] == 2
    assert (csv_dir / "correction_by_rule.csv").is_file() and "plotly-graph-div" in html_file.read_text("utf-8")


def test_cli_text_empty_period_and_bad_dates(world: World) -> None:
    runner = CliRunner()
    result = runner.invoke(_cli(), ["--db", world.url, "--matter", "sole_proprietor.establish"])
    assert result.exit_code == 0 and "submissions: 5" in result.stdout
    empty = runner.invoke(_cli(), ["--db", world.url, "--from", (world.today + timedelta(days=2)).isoformat()])
    assert empty.exit_code == 0 and "nothing to report" in empty.stdout
    assert runner.invoke(_cli(), ["--db", world.url, "--from", "2026-13-01"]).exit_code == 2
    assert runner.invoke(_cli(), ["--db", world.url, "--from", "2026-11-02", "--to", "2026-11-01"]).exit_code == 2
