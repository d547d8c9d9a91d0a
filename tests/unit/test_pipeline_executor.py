"""Extraction and review as jobs: submit_processing, PipelineExecutor behind the ExecutorRouter (real store, real
worker loop)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from govauto.audit import AuditTrail
from govauto.casework import CaseStore
from govauto.errors import CaseError
from govauto.jobs import JobQueue, JobStatus, run_worker
from govauto.jobs.routing import ExecutorRouter
from govauto.pipeline_executor import PROCESS_TARGET, PROCESS_TASK, PipelineExecutor, submit_processing
from govauto.runtime import Runtime
from govauto.store import Store, open_store

EXAMPLES = Path(__file__).parents[2] / "examples" / "cases"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("GOVAUTO_HOME", str(tmp_path / "home"))
    return open_store(f"sqlite:///{tmp_path / 'govauto.db'}")


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime()


def _drain(store: Store, runtime: Runtime, tmp_path: Path, **kwargs: Any) -> int:
    return run_worker(store.connect_url, lambda: ExecutorRouter(runtime=runtime), "test-worker", drain=True,
                      poll_interval=0.05, artifacts_root=tmp_path / "artifacts",
                      limits={PROCESS_TARGET: 1, "legacy_portal": 0}, **kwargs)


def test_processing_jobs_review_each_case_and_queue_the_approved_ones_robot_job(
        store: Store, runtime: Runtime, tmp_path: Path) -> None:
    queue = JobQueue(store)
    jobs = {p.stem: submit_processing(queue, runtime, p)[0] for p in sorted(EXAMPLES.glob("*.yaml"))}
    assert {j.robot for j in jobs.values()} == {PROCESS_TASK} and {j.target for j in jobs.values()} == {PROCESS_TARGET}
    assert _drain(store, runtime, tmp_path) == 4
    cases = CaseStore(store)
    for name, job in jobs.items():
        done = queue.get(job.id)
        assert done.status is JobStatus.SUCCEEDED, (name, done.error_kind, done.error_message)
        record = cases.get(job.case_id)
        assert done.receipt == f"{job.case_id}/v{record.version}"
        assert record.created_by == f"job:{job.id}" and record.machine_outcome == name
        processed = [e for e in queue.events(job.id) if e.event == "processed"]
        assert processed and processed[0].detail["outcome"] == name and processed[0].detail["pack"]["version"]
    # the approved case's robot job was queued by its processing job (the robot's target is paused here)
    [robot_job] = queue.list(target="legacy_portal")
    assert robot_job.case_id == jobs["approve"].case_id and robot_job.status is JobStatus.QUEUED
    assert [r.action for r in AuditTrail(store).for_case(jobs["refer"].case_id)] == [
        "intake", "extraction", "review", "referral"]
    assert AuditTrail(store).verify().ok


def test_the_same_submission_is_one_job_and_a_changed_one_is_a_new_job(
        store: Store, runtime: Runtime, tmp_path: Path) -> None:
    queue = JobQueue(store)
    first, created = submit_processing(queue, runtime, EXAMPLES / "correct.yaml")
    again, created_again = submit_processing(queue, runtime, EXAMPLES / "correct.yaml")
    assert created and not created_again and again.id == first.id
    data = yaml.safe_load((EXAMPLES / "correct.yaml").read_text(encoding="utf-8"))
    data["business"]["name"] = data["business"]["name"] + "（补正后）"
    changed, created_changed = submit_processing(queue, runtime, data, base_dir=EXAMPLES)
    assert created_changed and changed.id != first.id
    _drain(store, runtime, tmp_path)
    assert [r.version for r in CaseStore(store).versions(first.case_id)] == [1, 2]
    assert queue.get(changed.id).receipt == f"{first.case_id}/v2"


def test_a_case_that_does_not_fit_its_contract_is_refused_at_submit(store: Store, runtime: Runtime) -> None:
    data = yaml.safe_load((EXAMPLES / "approve.yaml").read_text(encoding="utf-8"))
    del data["applicant"]
    with pytest.raises(CaseError, match="applicant"):
        submit_processing(JobQueue(store), runtime, data, base_dir=EXAMPLES)
    assert JobQueue(store).list() == []


def test_a_job_taken_over_after_its_worker_died_does_not_take_the_case_in_twice(
        store: Store, runtime: Runtime, tmp_path: Path) -> None:
    queue = JobQueue(store)
    job, _ = submit_processing(queue, runtime, EXAMPLES / "approve.yaml")
    # attempt 1: the worker takes the case in and reviews it, then dies before acting on the outcome
    leased = queue.lease("doomed", {PROCESS_TARGET: 1}, lease_seconds=0.01)
    assert leased is not None and leased.id == job.id
    case = runtime.load_case(EXAMPLES / "approve.yaml")
    extractions = runtime.extract_case(case, EXAMPLES)
    decision = runtime.review(case, extractions=extractions, base_dir=EXAMPLES)
    CaseStore(store).intake(case, decision=decision, extractions=extractions, base_dir=EXAMPLES,
                            actor=f"job:{job.id}")  # taken in; the outcome was not acted on
    time.sleep(0.05)  # the lease expires
    # attempt 2 on another worker: it finds the version its job stored, and queues the robot job once
    _drain(store, runtime, tmp_path)
    done = queue.get(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.reconciled and done.attempts == 2
    assert [r.version for r in CaseStore(store).versions(job.case_id)] == [1]
    assert [j.case_id for j in queue.list(target="legacy_portal")] == [job.case_id]
    assert [e.event for e in queue.events(job.id)].count("reconciled") == 1
    assert CaseStore(store).get(job.case_id).status == "approved"


def test_a_taken_over_job_whose_case_was_approved_but_not_queued_queues_the_robot_job_once(
        store: Store, runtime: Runtime, tmp_path: Path) -> None:
    from govauto.pipeline import process_case

    queue = JobQueue(store)
    job, _ = submit_processing(queue, runtime, EXAMPLES / "approve.yaml")
    queue.lease("doomed", {PROCESS_TARGET: 1}, lease_seconds=0.01)
    process_case(runtime, store, EXAMPLES / "approve.yaml", actor=f"job:{job.id}", enqueue=False)
    time.sleep(0.05)
    _drain(store, runtime, tmp_path)
    assert queue.get(job.id).reconciled
    assert [j.case_id for j in queue.list(target="legacy_portal")] == [job.case_id]
    assert [r.action for r in AuditTrail(store).for_case(job.case_id)].count("robot_queued") == 1


def test_materials_missing_on_the_worker_fail_the_job_naming_the_directory(
        store: Store, runtime: Runtime, tmp_path: Path) -> None:
    moved = tmp_path / "case"
    shutil.copytree(EXAMPLES, moved)
    job, _ = submit_processing(JobQueue(store), runtime, moved / "approve.yaml")
    shutil.rmtree(moved)
    _drain(store, runtime, tmp_path)
    done = JobQueue(store).get(job.id)
    assert done.status is JobStatus.FAILED and done.error_kind == "data"
    assert str(moved) in (done.error_message or "") and "same path" in (done.error_message or "")


def test_the_pipeline_executor_refuses_a_robot_job(store: Store, runtime: Runtime, tmp_path: Path) -> None:
    queue = JobQueue(store)
    job, _ = queue.submit("legacy_portal.establish", "legacy_portal", "C-1", {"case": {}})
    run_worker(store.connect_url, lambda: PipelineExecutor(runtime), "w", drain=True, poll_interval=0.05,
               artifacts_root=tmp_path / "a", limits={"legacy_portal": 1})
    done = queue.get(job.id)
    assert done.status is JobStatus.FAILED and done.error_kind == "config"
    assert PROCESS_TASK in (done.error_message or "")


def test_the_cli_queues_processing_jobs_and_a_default_worker_runs_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from govauto.cli import app

    monkeypatch.setenv("GOVAUTO_HOME", str(tmp_path / "home"))
    db = f"sqlite:///{tmp_path / 'govauto.db'}"
    cli = CliRunner()
    queued = cli.invoke(app, ["process", "--queue", "--json", "--db", db,
                              *map(str, sorted(EXAMPLES.glob("*.yaml"))), str(EXAMPLES / "invalid.json")])
    assert queued.exit_code == 2, queued.output  # invalid.json is refused, the others are queued
    lines = [line for line in queued.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 4 and "invalid.json" in queued.output
    # no --executor: the default worker runs processing jobs (and would run robot jobs; their target is paused)
    worked = cli.invoke(app, ["worker", "--db", db, "--drain", "--concurrency", "2", "--limit", "legacy_portal=0"])
    assert worked.exit_code == 0, worked.output
    queue = JobQueue(open_store(db))
    processing = queue.list(target=PROCESS_TARGET)
    assert len(processing) == 4 and {j.status for j in processing} == {JobStatus.SUCCEEDED}
    assert {r.case_id for r in CaseStore(queue.store).list()} == {j.case_id for j in processing}
    [robot_job] = queue.list(target="legacy_portal")
    assert robot_job.status is JobStatus.QUEUED
