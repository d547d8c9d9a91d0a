"""Robot jobs end to end: real worker processes, real Chromium, the legacy-portal simulator with faults.

Every test ends with the same two checks: no job lost (each reached a final state, the succeeded ones with the
receipt the portal gave) and no application entered twice (one portal record per case at most).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govauto.jobs.model import JobStatus
from govauto.jobs.queue import JobQueue
from govauto.jobs.runner import LocalRunner
from govauto.robots.enqueue import submit_case
from govauto.runtime import Runtime
from govauto.store import open_store
from govauto.testing.generate import generate_approved_cases
from govauto.testing.legacy_portal import Fault, LegacyPortal

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("GOVAUTO_CHROMIUM"),
                                reason="needs Debian's chromium (make system-deps installs it)")

EXECUTOR = "govauto.robots.executor:RobotExecutor"


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LegacyPortal]:
    with LegacyPortal(tmp_path / "portal.db", seed=7) as running:
        monkeypatch.setenv("GOVAUTO_PORTAL_URL", running.url)
        monkeypatch.setenv("GOVAUTO_CREDENTIALS_LEGACY_PORTAL_USERNAME", "robot")
        monkeypatch.setenv("GOVAUTO_CREDENTIALS_LEGACY_PORTAL_PASSWORD", "robot-pass")
        monkeypatch.setenv("GOVAUTO_ROBOT_BACKOFF", "0.2")
        monkeypatch.setenv("GOVAUTO_ROBOT_BACKOFF_MAX", "1")
        monkeypatch.setenv("GOVAUTO_ROBOT_TRACE", "1")
        monkeypatch.setenv("GOVAUTO_JOB_BACKOFF", "0.5")
        yield running


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'govauto.db'}"


@pytest.fixture
def runtime() -> Runtime:
    return Runtime()


def enqueue(store_url: str, runtime: Runtime, cases: list[dict[str, Any]]) -> JobQueue:
    queue = JobQueue(open_store(store_url))
    for case in cases:
        _, created = submit_case(queue, runtime, case)
        assert created
    return queue


def run(store_url: str, tmp_path: Path, concurrency: int = 2, limit: int = 2, lease: float = 60.0) -> None:
    LocalRunner(store_url, EXECUTOR, concurrency=concurrency, limits={"legacy_portal": limit}, drain=True,
                lease_seconds=lease, artifacts_root=tmp_path / "artifacts", poll_interval=0.2,
                notify="govauto.robots.executor:notify_job_failed").run()


def assert_nothing_lost_or_doubled(queue: JobQueue, portal: LegacyPortal) -> Counter[str]:
    jobs = queue.list(limit=10_000)
    statuses = Counter(str(job.status) for job in jobs)
    assert not [j.id for j in jobs if not j.is_final], f"jobs not final: {statuses}"
    records = portal.records()
    per_case = Counter(r["wbywh"] for r in records)
    assert [case for case, n in per_case.items() if n > 1] == [], "an application was entered twice"
    receipts = {r["wbywh"]: r["receipt"] for r in records}
    for job in jobs:
        if job.status == JobStatus.SUCCEEDED:
            assert job.receipt == receipts[job.case_id]
        else:
            assert job.error_kind, job
    return statuses


def test_a_batch_through_a_flaky_portal_ends_with_every_job_final_and_no_duplicate(
        portal: LegacyPortal, store_url: str, runtime: Runtime, tmp_path: Path) -> None:
    portal.set_faults([Fault("down", times=3), Fault("http500", rate=0.3)])
    queue = enqueue(store_url, runtime, list(generate_approved_cases(6, seed=11)))
    run(store_url, tmp_path, concurrency=2, limit=2)
    statuses = assert_nothing_lost_or_doubled(queue, portal)
    assert statuses["succeeded"] >= 4, statuses
    stats = portal.stats()
    assert stats["faults_applied"]["down"] == 3 and stats["faults_applied"]["http500"] > 0


def test_the_per_target_session_limit_holds_across_worker_processes(
        portal: LegacyPortal, store_url: str, runtime: Runtime, tmp_path: Path) -> None:
    queue = enqueue(store_url, runtime, list(generate_approved_cases(6, seed=10)))
    run(store_url, tmp_path, concurrency=3, limit=2)
    statuses = assert_nothing_lost_or_doubled(queue, portal)
    assert statuses == {"succeeded": 6}
    stats = portal.stats()
    assert stats["max_active_sessions"] == 2, "three workers, a limit of two sessions at the target"
    assert stats["active_sessions"] == 0, "every robot logs out"


def test_a_lost_success_page_is_reconciled_by_searching_not_by_submitting_again(
        portal: LegacyPortal, store_url: str, runtime: Runtime, tmp_path: Path) -> None:
    portal.set_faults([Fault("lose_success", path="/gt/establish_submit.do", times=1)])
    queue = enqueue(store_url, runtime, list(generate_approved_cases(1, seed=12)))
    run(store_url, tmp_path, concurrency=1)
    assert_nothing_lost_or_doubled(queue, portal)
    [job] = queue.list()
    assert job.status == JobStatus.SUCCEEDED and job.reconciled
    assert len(portal.records()) == 1
    assert "reconcile" in [e.event for e in queue.events(job.id)]
    from govauto.audit import AuditTrail

    trail = AuditTrail(queue.store)
    actions = [(r.action, r.actor) for r in trail.for_case(job.case_id)]
    assert actions == [("robot_submitted", "robot:legacy_portal.establish"),
                       ("robot_receipt", "robot:legacy_portal.establish")]
    assert trail.for_case(job.case_id)[-1].detail["receipt"] == job.receipt and trail.verify().ok


def test_a_session_expiring_in_the_middle_of_the_form_logs_in_again(
        portal: LegacyPortal, store_url: str, runtime: Runtime, tmp_path: Path) -> None:
    portal.set_faults([Fault("expire_session", path="/gt/establish_confirm.do", times=1)])
    queue = enqueue(store_url, runtime, list(generate_approved_cases(1, seed=13)))
    run(store_url, tmp_path, concurrency=1)
    assert_nothing_lost_or_doubled(queue, portal)
    [job] = queue.list()
    assert job.status == JobStatus.SUCCEEDED and not job.reconciled
    assert portal.stats()["logins"] == 2
    retries = [e.detail for e in queue.events(job.id) if e.event == "retry"]
    assert [d["kind"] for d in retries] == ["session_expired"]


def test_the_portals_validation_alert_goes_to_a_person_with_the_message_and_evidence(
        portal: LegacyPortal, store_url: str, runtime: Runtime, tmp_path: Path) -> None:
    [case] = list(generate_approved_cases(1, seed=14))
    tomorrow = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=3)
    case["submitted_at"] = tomorrow.isoformat(timespec="seconds")  # the portal refuses a date in the future
    queue = enqueue(store_url, runtime, [case])
    run(store_url, tmp_path, concurrency=1)
    assert_nothing_lost_or_doubled(queue, portal)
    [job] = queue.list()
    assert job.status == JobStatus.NEEDS_REVIEW and job.error_kind == "business"
    assert "申请日期" in (job.error_message or "")
    assert job.attempts == 1, "a business error is not retried"
    kinds = {a.kind for a in queue.artifacts(job.id)}
    assert {"screenshot", "html", "trace"} <= kinds
    assert all(Path(a.path).is_file() for a in queue.artifacts(job.id))
    with queue.store.engine.connect() as conn:
        from govauto.store.schema import review_tasks

        tasks = conn.execute(review_tasks.select()).mappings().all()
    assert [(t["case_id"], t["reason"]) for t in tasks] == [(case["case_id"], "robot.business")]
    assert portal.records() == []


def test_a_case_missing_a_value_the_form_needs_goes_to_a_person(
        portal: LegacyPortal, store_url: str, runtime: Runtime, tmp_path: Path) -> None:
    [case] = list(generate_approved_cases(1, seed=15))
    case["applicant"]["phone"] = None
    queue = enqueue(store_url, runtime, [case])
    run(store_url, tmp_path, concurrency=1)
    [job] = queue.list()
    assert job.status == JobStatus.NEEDS_REVIEW and job.error_kind == "data"
    assert "联系电话" in (job.error_message or "") and "applicant.phone" in (job.error_message or "")
    assert portal.records() == []


def _worker(store_url: str, tmp_path: Path, lease: float) -> subprocess.Popen[bytes]:
    code = ("import sys; from govauto.jobs.runner import run_worker; "
            f"run_worker({store_url!r}, {EXECUTOR!r}, 'doomed', limits={{'legacy_portal': 1}}, "
            f"lease_seconds={lease}, artifacts_root=sys.argv[1], drain=True, poll_interval=0.2)")
    return subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "artifacts")], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_worker_killed_in_the_middle_of_a_submit_is_recovered_without_a_second_submit(
        portal: LegacyPortal, store_url: str, runtime: Runtime, tmp_path: Path) -> None:
    # The portal commits the application and then never answers: the worker is killed while it waits.
    portal.set_faults([Fault("hang", path="/gt/establish_submit.do", times=1)])
    queue = enqueue(store_url, runtime, list(generate_approved_cases(1, seed=16)))
    [job] = queue.list()
    doomed = _worker(store_url, tmp_path, lease=3.0)
    deadline = time.monotonic() + 60
    while not portal.records():
        assert time.monotonic() < deadline, "the submit never reached the portal"
        assert doomed.poll() is None, "the worker ended before it was killed"
        time.sleep(0.1)
    os.killpg(doomed.pid, signal.SIGKILL)  # the worker and its Chromium, mid-submit
    doomed.wait()
    assert queue.get(job.id).status == JobStatus.RUNNING and queue.get(job.id).submit_uncertain
    run(store_url, tmp_path, concurrency=1, lease=3.0)  # takes the job over once its lease has expired
    assert_nothing_lost_or_doubled(queue, portal)
    done = queue.get(job.id)
    assert done.status == JobStatus.SUCCEEDED and done.reconciled and done.attempts == 2
    assert len(portal.records()) == 1


def test_the_case_file_is_uploaded_from_the_cases_own_directory(
        portal: LegacyPortal, store_url: str, runtime: Runtime, tmp_path: Path) -> None:
    import hashlib

    import yaml
    from reportlab.pdfgen import canvas

    case_dir = tmp_path / "intake" / "NS-2026-000123"
    (case_dir / "materials").mkdir(parents=True)
    pdf = case_dir / "materials" / "application_form.pdf"
    sheet = canvas.Canvas(str(pdf))
    sheet.drawString(72, 720, "application form")
    sheet.save()
    case = yaml.safe_load(Path("examples/cases/approve.yaml").read_text(encoding="utf-8"))
    case["materials"][0] = {"kind": "application_form", "file": "materials/application_form.pdf"}
    (case_dir / "case.yaml").write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
    queue = JobQueue(open_store(store_url))
    submit_case(queue, runtime, case_dir / "case.yaml")  # the material path is relative to the case file
    run(store_url, tmp_path, concurrency=1)
    [job] = queue.list()
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    [record] = portal.records()
    assert record["upload_name"] == "application_form.pdf"
    assert record["upload_sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()


def test_a_robot_referral_reaches_review_requested_hooks_and_the_queue(
        portal: LegacyPortal, store_url: str, runtime: Runtime, tmp_path: Path) -> None:
    from govauto import hookimpl
    from govauto.casework import ReviewQueue, WorkCalendar
    from govauto.jobs.runner import run_worker
    from govauto.robots.executor import RobotExecutor

    requests: list[Any] = []

    class Tickets:
        @hookimpl
        def govauto_review_requested(self, case: Any, task: Any) -> None:
            requests.append(task)

    [case] = list(generate_approved_cases(1, seed=17))
    case["submitted_at"] = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=3)).isoformat()
    queue = enqueue(store_url, runtime, [case])
    run_worker(store_url, lambda: RobotExecutor(runtime=Runtime(plugins=[Tickets()])), "in-process",
               limits={"legacy_portal": 1}, drain=True, artifacts_root=tmp_path / "artifacts", poll_interval=0.1)
    [job] = queue.list()
    assert job.status == JobStatus.NEEDS_REVIEW
    [request] = requests
    assert request.source == "robot" and request.reasons == ("robot.business",) and "申请日期" in request.message
    [task] = ReviewQueue(queue.store, WorkCalendar.default()).list(case_id=case["case_id"])
    assert task.source == "robot" and task.group == case["authority"]["division"]
