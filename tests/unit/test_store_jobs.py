"""The store, the job queue's transitions, the in-process worker loop, and the ops CLI: each test that uses a
database runs on SQLite and on PostgreSQL (the ``store_url`` fixture)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from govauto.errors import (
    ExecutorLoadError,
    JobNotFoundError,
    JobStateError,
    LeaseLostError,
    StoreError,
)
from govauto.jobs import ExecutionResult, Job, JobContext, JobQueue, JobStatus, run_worker
from govauto.jobs.cli import jobs_app
from govauto.store import Store, list_review_tasks, open_store
from govauto.store.schema import jobs as jobs_table
from tests.jobs_fakes import FAKES_DIR_ENV, read_runs

ID_NUMBER = "110101199003071233"
MASKED = "110101********1233"
FAKE = "tests.jobs_fakes:FakeExecutor"


class Clock:
    """A settable clock shared by the queues of one test."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def db_url(store_url: str) -> str:
    return store_url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(db_url: str, clock: Clock) -> JobQueue:
    return JobQueue(open_store(db_url), clock=clock)


def submit(queue: JobQueue, case: str, target: str = "portal", **kwargs: Any) -> Job:
    payload = kwargs.pop("payload", {"case": {"case_id": case}})
    job, created = queue.submit("establish", target, case, payload, **kwargs)
    assert created
    return job


def event_names(queue: JobQueue, job_id: str) -> list[str]:
    return [e.event for e in queue.events(job_id)]


# -- the store ----------------------------------------------------------------------------------------------------

def test_open_store_defaults_to_govauto_home_and_sets_sqlite_pragmas(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home" / "nested"
    monkeypatch.delenv("GOVAUTO_DATABASE_URL", raising=False)
    monkeypatch.setenv("GOVAUTO_HOME", str(home))
    store = open_store()
    assert (home / "govauto.db").is_file()
    assert store.dialect == "sqlite"
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    tables = {row[0] for row in sqlite3.connect(home / "govauto.db").execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"jobs", "job_events", "job_artifacts", "review_tasks"} <= tables


def test_open_store_takes_the_url_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVAUTO_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    store = open_store()
    assert store.url.database == str(tmp_path / "env.db")
    assert (tmp_path / "env.db").exists()


def test_store_error_names_the_url_without_its_password() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql+nosuchdriver://ops:s3cret-pw@db.example/govauto")
    message = str(info.value)
    assert "s3cret-pw" not in message
    assert "ops:***@db.example/govauto" in message


def test_store_error_when_the_database_file_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot"):
        open_store(f"sqlite:///{blocker / 'sub' / 'govauto.db'}")


def test_store_error_when_the_file_is_not_a_database(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are notes, not a database" * 100)
    with pytest.raises(StoreError, match="file is not a database"):
        open_store(f"sqlite:///{not_a_db}")


def test_store_repr_hides_the_password() -> None:
    from types import SimpleNamespace

    from sqlalchemy.engine import make_url

    engine = SimpleNamespace(url=make_url("postgresql://ops:s3cret-pw@db.example/govauto"))
    store = Store(engine)  # type: ignore[arg-type]  # only the URL matters here; no driver is installed
    assert "s3cret-pw" not in repr(store) and "s3cret-pw" not in str(store.url)
    assert "s3cret-pw" in store.connect_url


def test_times_are_stored_as_utc_and_naive_times_refused(queue: JobQueue) -> None:
    local = datetime(2025, 3, 1, 17, 0, tzinfo=UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    job = submit(queue, "C-1")
    with queue.store.begin(write=True) as conn:
        conn.execute(jobs_table.update().where(jobs_table.c.id == job.id).values(not_before=local))
    assert queue.get(job.id).not_before == datetime(2025, 3, 1, 17, 0, tzinfo=UTC)
    with pytest.raises(Exception, match="naive datetime"), queue.store.begin(write=True) as conn:
        conn.execute(jobs_table.update().values(not_before=datetime(2025, 1, 1)))


# -- submitting ---------------------------------------------------------------------------------------------------

def test_submit_is_idempotent_by_key(queue: JobQueue) -> None:
    first, created = queue.submit("establish", "portal", "C-1", {"n": 1})
    again, created_again = queue.submit("establish", "portal", "C-1", {"n": 2})
    assert created and not created_again
    assert again.id == first.id and again.payload == {"n": 1}
    assert first.key == "C-1:establish"
    other, created_other = queue.submit("other_robot", "portal", "C-1", {})
    assert created_other and other.id != first.id
    keyed, _ = queue.submit("establish", "portal", "C-1", {}, key="C-1:second-filing")
    assert keyed.id not in (first.id, other.id)
    with queue.store.begin() as conn:
        assert len(conn.execute(select(jobs_table.c.id)).all()) == 3
    assert event_names(queue, first.id) == ["submitted"]


def test_submit_returns_a_finished_job_instead_of_running_it_again(queue: JobQueue) -> None:
    job = submit(queue, "C-1")
    leased = queue.lease("w1")
    assert leased is not None
    queue.finish(job.id, "w1", ExecutionResult("succeeded", receipt="R-1"))
    again, created = queue.submit("establish", "portal", "C-1", {})
    assert not created and again.status is JobStatus.SUCCEEDED and again.receipt == "R-1"


def test_submit_refuses_bad_arguments(queue: JobQueue) -> None:
    from govauto.errors import JobError

    with pytest.raises(JobError, match="without a target"):
        queue.submit("establish", " ", "C-1", {})
    with pytest.raises(JobError, match="max_attempts"):
        queue.submit("establish", "portal", "C-1", {}, max_attempts=0)


def test_texts_longer_than_their_columns_are_refused_on_every_database(queue: JobQueue) -> None:
    """PostgreSQL refuses a text longer than its column where SQLite keeps it: govauto refuses it first, on both."""
    from govauto.errors import JobError

    with pytest.raises(JobError, match="target has at most 100 characters, got 101"):
        queue.submit("establish", "t" * 101, "C-1", {})
    with pytest.raises(JobError, match="key has at most 255 characters"):
        queue.submit("establish", "portal", "C-1", {}, key="k" * 256)
    with pytest.raises(ValueError, match="error_kind has at most 94 characters"):
        ExecutionResult("needs_review", error_kind="e" * 95)
    with pytest.raises(ValueError, match="receipt has at most 255 characters"):
        ExecutionResult("succeeded", receipt="R" * 256)
    longest = submit(queue, "C" * 100, target="t" * 100, key="k" * 255)  # the limits themselves fit
    with pytest.raises(JobError, match="1-64 characters"):
        queue.add_event(longest.id, "e" * 65, 0)
    queue.add_event(longest.id, "e" * 64, 0)
    lease_one(queue, longest)
    done = queue.finish(longest.id, "w", ExecutionResult("needs_review", error_kind="e" * 94, message="m"))
    assert done.error_kind == "e" * 94
    assert [t.reason for t in list_review_tasks(queue.store, job_id=longest.id)] == ["robot." + "e" * 94]


def test_ids_sort_by_creation(queue: JobQueue) -> None:
    ids = [submit(queue, f"C-{i}").id for i in range(5)]
    assert ids == sorted(ids) and all(i.startswith("J") for i in ids)
    assert [j.id for j in queue.list()] == list(reversed(ids))


# -- leasing ------------------------------------------------------------------------------------------------------

def test_lease_takes_highest_priority_then_oldest(queue: JobQueue, clock: Clock) -> None:
    old = submit(queue, "C-old")
    clock.advance(1)
    newer = submit(queue, "C-newer")
    clock.advance(1)
    urgent = submit(queue, "C-urgent", priority=5)
    order = []
    for _ in range(3):
        job = queue.lease("w", default_limit=10)
        assert job is not None
        order.append(job.id)
    assert order == [urgent.id, old.id, newer.id]
    assert queue.lease("w", default_limit=10) is None


def test_lease_sets_running_owner_expiry_and_counts_the_attempt(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    leased = queue.lease("worker-a", lease_seconds=60)
    assert leased is not None and leased.id == job.id
    assert leased.status is JobStatus.RUNNING
    assert leased.lease_owner == "worker-a"
    assert leased.lease_expires_at == clock.now + timedelta(seconds=60)
    assert leased.attempts == 1 and leased.started_at == clock.now
    assert event_names(queue, job.id) == ["submitted", "leased"]


def test_lease_respects_not_before(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    assert queue.lease("w") is not None
    queue.finish(job.id, "w", ExecutionResult("retry", error_kind="network", retry_after=120))
    assert queue.get(job.id).not_before == clock.now + timedelta(seconds=120)
    clock.advance(119)
    assert queue.lease("w") is None
    clock.advance(1)
    again = queue.lease("w")
    assert again is not None and again.id == job.id and again.attempts == 2


def test_per_target_limit_holds_across_two_queues_on_one_database(db_url: str, clock: Clock) -> None:
    worker_1 = JobQueue(open_store(db_url), clock=clock)
    worker_2 = JobQueue(open_store(db_url), clock=clock)
    a_jobs = [submit(worker_1, f"A-{i}", target="A") for i in range(4)]
    clock.advance(1)
    b_job = submit(worker_1, "B-1", target="B")
    limits = {"A": 2}

    first = worker_1.lease("w1", limits)
    second = worker_2.lease("w2", limits)
    assert first is not None and second is not None
    assert {first.id, second.id} == {a_jobs[0].id, a_jobs[1].id}
    third = worker_1.lease("w3", limits)        # A is full: the next job is B's, although A's are older
    assert third is not None and third.id == b_job.id
    assert worker_2.lease("w4", limits) is None  # A full, B at its default limit of 1

    worker_2.finish(second.id, "w2", ExecutionResult("succeeded", receipt="R"))
    fourth = worker_2.lease("w2", limits)
    assert fourth is not None and fourth.target == "A"
    assert worker_1.lease("w5", limits) is None


def test_limit_zero_pauses_a_target(queue: JobQueue) -> None:
    submit(queue, "A-1", target="A")
    assert queue.lease("w", {"A": 0}) is None
    assert queue.lease("w", {"A": 1}) is not None
    submit(queue, "B-1", target="B")
    assert queue.lease("w", {"A": 1}, default_limit=0) is None
    assert queue.lease("w", {"B": 1}, default_limit=0) is not None


def test_expired_lease_is_recovered_and_keeps_submit_uncertain(db_url: str, clock: Clock) -> None:
    dead = JobQueue(open_store(db_url), clock=clock)
    alive = JobQueue(open_store(db_url), clock=clock)
    job = submit(dead, "C-1")
    leased = dead.lease("dead-worker", lease_seconds=10)
    assert leased is not None
    dead.mark_submitting(job.id, "dead-worker", attempt=1)   # then the process dies mid-submit
    clock.advance(5)
    assert alive.lease("new-worker", lease_seconds=10) is None  # the lease is still live: not taken, and it counts
    clock.advance(6)
    recovered = alive.lease("new-worker", lease_seconds=10)
    assert recovered is not None and recovered.id == job.id
    assert recovered.submit_uncertain is True
    assert recovered.attempts == 2 and recovered.lease_owner == "new-worker"
    events = alive.events(job.id)
    assert [e.event for e in events] == ["submitted", "leased", "submitting", "lease_expired", "leased"]
    assert events[3].detail["worker"] == "dead-worker" and events[3].detail["submit_uncertain"] is True

    # the old worker wakes up: everything it reports is refused and changes nothing
    before = alive.get(job.id)
    with pytest.raises(LeaseLostError, match="held by new-worker"):
        dead.finish(job.id, "dead-worker", ExecutionResult("succeeded", receipt="LATE"))
    with pytest.raises(LeaseLostError):
        dead.heartbeat(job.id, "dead-worker")
    with pytest.raises(LeaseLostError):
        dead.mark_submitting(job.id, "dead-worker")
    assert alive.get(job.id) == before

    done = alive.finish(job.id, "new-worker", ExecutionResult("succeeded", receipt="FOUND-1", reconciled=True),
                        attempt=2)
    assert done.status is JobStatus.SUCCEEDED and done.reconciled and not done.submit_uncertain


def test_heartbeat_extends_the_lease(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    queue.lease("w", lease_seconds=10)
    clock.advance(8)
    queue.heartbeat(job.id, "w", 10)
    clock.advance(8)
    assert queue.lease("other") is None  # would have expired without the heartbeat
    assert queue.get(job.id).lease_expires_at == clock.now + timedelta(seconds=2)


def test_a_stale_attempt_is_refused_even_for_the_same_worker(queue: JobQueue) -> None:
    job = submit(queue, "C-1")
    queue.lease("w")
    queue.finish(job.id, "w", ExecutionResult("retry", retry_after=0))
    queue.lease("w")
    with pytest.raises(LeaseLostError, match="attempt 2, not 1"):
        queue.finish(job.id, "w", ExecutionResult("succeeded"), attempt=1)


def test_an_expired_job_out_of_attempts_fails_as_worker_lost(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1", max_attempts=1)
    queue.lease("w", lease_seconds=10)
    queue.mark_submitting(job.id, "w")
    clock.advance(11)
    assert queue.lease("other") is None
    failed = queue.get(job.id)
    assert failed.status is JobStatus.FAILED and failed.error_kind == "worker_lost"
    assert failed.submit_uncertain and "searches for it first" in (failed.error_message or "")


def test_an_expired_job_asked_to_cancel_ends_cancelled(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    queue.lease("w", lease_seconds=10)
    queue.cancel(job.id)
    clock.advance(11)
    assert queue.lease("other") is None
    assert queue.get(job.id).status is JobStatus.CANCELLED


# -- finishing ----------------------------------------------------------------------------------------------------

def lease_one(queue: JobQueue, job: Job, worker: str = "w") -> Job:
    leased = queue.lease(worker, default_limit=100)
    assert leased is not None and leased.id == job.id
    return leased


def test_finish_succeeded_records_receipt_and_clears_submit_uncertain(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    lease_one(queue, job)
    queue.mark_submitting(job.id, "w")
    clock.advance(3)
    done = queue.finish(job.id, "w", ExecutionResult("succeeded", receipt="GS-2025-1"))
    assert done.status is JobStatus.SUCCEEDED and done.is_final
    assert done.receipt == "GS-2025-1" and not done.reconciled and not done.submit_uncertain
    assert done.finished_at == clock.now and done.lease_owner is None and done.lease_expires_at is None
    assert event_names(queue, job.id)[-1] == "succeeded"


def test_retry_backs_off_exponentially_with_jitter_then_gives_up(queue: JobQueue, clock: Clock) -> None:
    queue.backoff_base, queue.backoff_cap = 10.0, 25.0
    job = submit(queue, "C-1", max_attempts=4)
    delays = []
    for attempt in range(1, 4):
        lease_one(queue, job)
        retried = queue.finish(job.id, "w", ExecutionResult("retry", error_kind="timeout", message="slow"))
        assert retried.status is JobStatus.QUEUED and retried.attempts == attempt
        assert retried.error_kind == "timeout"
        assert retried.not_before is not None
        delays.append((retried.not_before - clock.now).total_seconds())
        clock.now = retried.not_before
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20 and 12.5 <= delays[2] <= 25  # base·2^(n-1), capped
    lease_one(queue, job)
    failed = queue.finish(job.id, "w", ExecutionResult("retry", error_kind="timeout", message="still slow"))
    assert failed.status is JobStatus.FAILED and failed.attempts == 4
    assert failed.error_message == "still slow"
    last = queue.events(job.id)[-1]
    assert last.event == "failed" and last.detail["exhausted"] is True
    assert event_names(queue, job.id).count("retry_scheduled") == 3


def test_backoff_is_capped() -> None:
    queue = JobQueue.__new__(JobQueue)
    JobQueue.__init__(queue, None, backoff_base=30, backoff_cap=900)  # type: ignore[arg-type]
    assert all(450 <= queue.backoff(20) <= 900 for _ in range(50))
    assert all(15 <= queue.backoff(1) <= 30 for _ in range(50))


def test_needs_review_opens_a_review_task_with_the_artifacts(queue: JobQueue, tmp_path: Path) -> None:
    job = submit(queue, "C-7")
    lease_one(queue, job)
    shot = tmp_path / "page.png"
    shot.write_bytes(b"\x89PNG" + b"0" * 96)
    done = queue.finish(job.id, "w", ExecutionResult(
        "needs_review", error_kind="business_error", message="经营场所地址不规范",
        artifacts=(("screenshot", shot), ("trace", tmp_path / "missing.zip"))))
    assert done.status is JobStatus.NEEDS_REVIEW and done.error_kind == "business_error"
    tasks = list_review_tasks(queue.store, job_id=job.id)
    assert len(tasks) == 1
    task = tasks[0]
    assert (task.case_id, task.source, task.reason, task.status) == ("C-7", "robot", "robot.business_error", "open")
    assert task.message == "经营场所地址不规范"
    assert task.detail["artifacts"][0] == {"kind": "screenshot", "path": str(shot.resolve()), "bytes": 100}
    artifacts = queue.artifacts(job.id)
    assert [(a.kind, a.attempt, a.bytes) for a in artifacts] == [("screenshot", 1, 100), ("trace", 1, None)]
    assert queue.events(job.id)[-1].detail["review_task"] == task.id


def test_failed_is_final_and_does_not_open_a_review_task(queue: JobQueue) -> None:
    job = submit(queue, "C-1")
    lease_one(queue, job)
    done = queue.finish(job.id, "w", ExecutionResult("failed", error_kind="config", message="no credentials"))
    assert done.status is JobStatus.FAILED and done.attempts == 1 and done.is_final
    assert list_review_tasks(queue.store) == []
    assert queue.lease("w") is None


def test_cancel_requested_while_running_ends_cancelled_unless_it_succeeded(queue: JobQueue) -> None:
    first = submit(queue, "C-1")
    second = submit(queue, "C-2")
    lease_one(queue, first)
    lease_one(queue, second)
    assert queue.cancel(first.id).cancel_requested
    assert queue.cancel(second.id).status is JobStatus.RUNNING
    assert queue.finish(first.id, "w", ExecutionResult("retry")).status is JobStatus.CANCELLED
    succeeded = queue.finish(second.id, "w", ExecutionResult("succeeded", receipt="R-2"))
    assert succeeded.status is JobStatus.SUCCEEDED and succeeded.receipt == "R-2"


def test_release_hands_the_job_back_without_counting_the_attempt(queue: JobQueue) -> None:
    job = submit(queue, "C-1")
    lease_one(queue, job)
    queue.mark_submitting(job.id, "w")
    released = queue.release(job.id, "w")
    assert released.status is JobStatus.QUEUED and released.attempts == 0 and released.submit_uncertain
    assert released.lease_owner is None
    with pytest.raises(LeaseLostError):
        queue.release(job.id, "w")
    again = lease_one(queue, job, "w2")
    assert again.attempts == 1 and again.submit_uncertain


def test_execution_result_is_validated() -> None:
    with pytest.raises(ValueError, match="status"):
        ExecutionResult("done")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="artifact kind"):
        ExecutionResult("failed", artifacts=(("video", Path("x")),))


# -- ops: cancel and retry ----------------------------------------------------------------------------------------

def test_cancel_rules(queue: JobQueue) -> None:
    queued = submit(queue, "C-1")
    cancelled = queue.cancel(queued.id)
    assert cancelled.status is JobStatus.CANCELLED and cancelled.finished_at is not None
    with pytest.raises(JobStateError, match="finished job cannot be cancelled"):
        queue.cancel(queued.id)
    done = submit(queue, "C-2")
    lease_one(queue, done)
    queue.finish(done.id, "w", ExecutionResult("succeeded", receipt="R"))
    with pytest.raises(JobStateError, match="is succeeded"):
        queue.cancel(done.id)
    with pytest.raises(JobNotFoundError, match="J-nope"):
        queue.cancel("J-nope")


def test_retry_rules(queue: JobQueue) -> None:
    job = submit(queue, "C-1", max_attempts=1)
    lease_one(queue, job)
    queue.finish(job.id, "w", ExecutionResult("needs_review", error_kind="business_error", message="bad address"))
    retried = queue.retry(job.id)
    assert retried.status is JobStatus.QUEUED and retried.max_attempts == 2
    assert retried.error_kind is None and retried.finished_at is None
    last = queue.events(job.id)[-1]
    assert last.event == "retried"
    assert last.detail["previous_status"] == "needs_review" and last.detail["message"] == "bad address"
    assert [t.status for t in list_review_tasks(queue.store, job_id=job.id)] == ["closed"]
    with pytest.raises(JobStateError, match="only failed"):
        queue.retry(job.id)  # queued
    again = lease_one(queue, job)
    assert again.attempts == 2
    with pytest.raises(JobStateError, match="only failed"):
        queue.retry(job.id)  # running
    queue.finish(job.id, "w", ExecutionResult("succeeded", receipt="R-9"))
    with pytest.raises(JobStateError, match="never run again"):
        queue.retry(job.id)
    cancelled = submit(queue, "C-2")
    queue.cancel(cancelled.id)
    assert queue.retry(cancelled.id).status is JobStatus.QUEUED
    with pytest.raises(JobNotFoundError):
        queue.retry("J-missing")


def test_every_transition_is_an_event(queue: JobQueue) -> None:
    job = submit(queue, "C-1")
    lease_one(queue, job)
    queue.finish(job.id, "w", ExecutionResult("retry", retry_after=0))
    lease_one(queue, job)
    queue.finish(job.id, "w", ExecutionResult("failed", error_kind="config"))
    queue.retry(job.id)
    lease_one(queue, job)
    queue.release(job.id, "w")
    queue.cancel(job.id)
    assert event_names(queue, job.id) == ["submitted", "leased", "retry_scheduled", "leased", "failed", "retried",
                                          "leased", "released", "cancelled"]
    assert [e.attempt for e in queue.events(job.id)] == [0, 1, 1, 2, 2, 2, 3, 3, 2]


def test_list_filters_counts_and_wait_all(queue: JobQueue) -> None:
    a = submit(queue, "C-1", target="A")
    b = submit(queue, "C-2", target="B")
    queue.submit("other", "A", "C-3", {})
    queue.cancel(b.id)
    assert [j.id for j in queue.list(target="A", robot="establish")] == [a.id]
    assert [j.id for j in queue.list(status="cancelled")] == [b.id]
    assert [j.id for j in queue.list(case_id="C-2")] == [b.id]
    assert len(queue.list(limit=2)) == 2
    counts = queue.counts()
    assert counts["queued"] == 2 and counts["cancelled"] == 1 and counts["running"] == 0 and len(counts) == 6
    assert queue.wait_all([b.id], timeout=1)[0].status is JobStatus.CANCELLED
    with pytest.raises(TimeoutError, match=a.id):
        queue.wait_all([a.id, b.id], timeout=0.3, poll=0.1)


# -- the executor's context ---------------------------------------------------------------------------------------

def test_job_context(db_url: str, tmp_path: Path) -> None:
    queue = JobQueue(open_store(db_url))
    observer = JobQueue(open_store(db_url))
    job = submit(queue, "C-1")
    leased = queue.lease("w", lease_seconds=30)
    assert leased is not None
    ctx = JobContext(queue, leased, "w", tmp_path / "artifacts", lease_seconds=30)
    assert ctx.artifacts_dir == tmp_path / "artifacts" / job.id / "attempt-1" and ctx.artifacts_dir.is_dir()
    assert ctx.attempt == 1 and not ctx.submit_uncertain and not ctx.cancelled()
    ctx.mark_submitting()
    assert observer.get(job.id).submit_uncertain  # persisted at once, visible to everyone
    ctx.event("form_filled", fields=12)
    assert observer.events(job.id)[-1].event == "form_filled"
    assert observer.events(job.id)[-1].detail == {"fields": 12}
    observer.cancel(job.id)
    assert ctx.cancelled()
    ctx.heartbeat()
    queue.release(job.id, "w")  # handed back (and, cancel requested, cancelled): the context lost its lease
    with pytest.raises(LeaseLostError):
        ctx.heartbeat()
    assert ctx.lease_lost and ctx.cancelled()
    with pytest.raises(LeaseLostError):
        ctx.mark_submitting()


# -- the worker loop in this process ------------------------------------------------------------------------------

@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "fakes"
    monkeypatch.setenv(FAKES_DIR_ENV, str(directory))
    return directory


def test_run_worker_runs_jobs_until_drained(db_url: str, tmp_path: Path, fakes: Path) -> None:
    queue = JobQueue(open_store(db_url))
    ok = submit(queue, "C-1")
    review = submit(queue, "C-2", payload={"outcome": "needs_review", "error_kind": "business_error",
                                           "message": "地址不规范"})
    flaky = submit(queue, "C-3", payload={"retry_until": 2})
    ran = run_worker(db_url, FAKE, "w-test", drain=True, poll_interval=0.05, artifacts_root=tmp_path / "art",
                     notify="tests.jobs_fakes:recording_notify")
    assert ran == 4
    assert queue.get(ok.id).receipt == f"RCPT-{ok.id}"
    assert queue.get(review.id).status is JobStatus.NEEDS_REVIEW
    log = queue.artifacts(review.id)[0]
    assert log.kind == "log" and Path(log.path).read_text() == "attempt 1\n"
    assert Path(log.path).parent == tmp_path / "art" / review.id / "attempt-1"
    flaky_job = queue.get(flaky.id)
    assert flaky_job.status is JobStatus.SUCCEEDED and flaky_job.attempts == 2
    assert (fakes / f"notified-{review.id}").read_text() == "needs_review"
    assert not (fakes / f"notified-{ok.id}").exists()
    assert len(read_runs(fakes)) == 4


def test_an_exception_in_the_executor_fails_the_job_as_internal(db_url: str, tmp_path: Path, fakes: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="govauto.jobs")
    queue = JobQueue(open_store(db_url))
    job = submit(queue, "C-1", payload={"raise": f"boom for {ID_NUMBER}"})
    run_worker(db_url, FAKE, "w", drain=True, poll_interval=0.05, artifacts_root=tmp_path,
               notify="tests.jobs_fakes:failing_notify")
    failed = queue.get(job.id)
    assert failed.status is JobStatus.FAILED and failed.error_kind == "internal"
    assert failed.error_message == f"RuntimeError: boom for {ID_NUMBER}"
    exception = next(e for e in queue.events(job.id) if e.event == "exception")
    assert "Traceback" in exception.detail["traceback"] and "jobs_fakes.py" in exception.detail["traceback"]
    assert "notify hook failed" in caplog.text  # logged; the worker went on
    assert ID_NUMBER not in caplog.text and MASKED in caplog.text


def test_run_worker_stops_when_told(db_url: str, tmp_path: Path, fakes: Path) -> None:
    queue = JobQueue(open_store(db_url))
    submit(queue, "C-1")
    stop = threading.Event()
    stop.set()
    assert run_worker(db_url, FAKE, "w", stop=stop, artifacts_root=tmp_path) == 0
    assert queue.counts()["queued"] == 1


def test_run_worker_hands_the_job_back_on_keyboard_interrupt(db_url: str, tmp_path: Path) -> None:
    queue = JobQueue(open_store(db_url))
    job = submit(queue, "C-1")

    class Interrupted:
        def execute(self, ctx: JobContext) -> ExecutionResult:
            ctx.mark_submitting()
            raise KeyboardInterrupt

        def close(self) -> None:
            pass

    with pytest.raises(KeyboardInterrupt):
        run_worker(db_url, Interrupted, "w", artifacts_root=tmp_path)
    back = queue.get(job.id)
    assert back.status is JobStatus.QUEUED and back.attempts == 0 and back.submit_uncertain


def test_executor_paths_that_cannot_load(db_url: str, tmp_path: Path, fakes: Path) -> None:
    with pytest.raises(ExecutorLoadError, match="building it failed: RuntimeError: no browser here"):
        run_worker(db_url, "tests.jobs_fakes:BrokenFactory", "w", artifacts_root=tmp_path)
    with pytest.raises(ExecutorLoadError, match="cannot import"):
        run_worker(db_url, "tests.no_such_module:X", "w")
    with pytest.raises(ExecutorLoadError, match="has no attribute"):
        run_worker(db_url, "tests.jobs_fakes:Nope", "w")
    with pytest.raises(ExecutorLoadError, match="not an import path"):
        run_worker(db_url, "tests.jobs_fakes.FakeExecutor", "w")


# -- the CLI ------------------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as they need: a value folded over two lines would hide an unmasked ID number."""
    from govauto.jobs import cli as cli_module

    monkeypatch.setattr(cli_module.out, "width", 250)


def cli(db_url: str, *args: str) -> Any:
    return CliRunner().invoke(jobs_app, ["--db", db_url, *args])


@pytest.fixture
def populated(queue: JobQueue, tmp_path: Path) -> dict[str, Job]:
    ok = submit(queue, ID_NUMBER, payload={"case": {"operator": {"id_number": ID_NUMBER}}, "base_dir": "/cases"})
    lease_one(queue, ok)
    queue.finish(ok.id, "w", ExecutionResult("succeeded", receipt="GS-2025-0001"))
    bad = submit(queue, "C-2")
    lease_one(queue, bad)
    trace = tmp_path / "trace.zip"
    trace.write_bytes(b"PK" * 10)
    queue.finish(bad.id, "w", ExecutionResult("needs_review", error_kind="business_error",
                                              message=f"证件号码 {ID_NUMBER} 已登记", artifacts=(("trace", trace),)))
    waiting = submit(queue, "C-3")
    return {"ok": ok, "bad": bad, "waiting": waiting}


def test_cli_list_masks_id_numbers(db_url: str, populated: dict[str, Job]) -> None:
    result = cli(db_url, "list")
    assert result.exit_code == 0, result.output
    assert ID_NUMBER not in result.output and MASKED in result.output
    assert "needs_review" in result.output and "GS-2025-0001" in result.output


def test_cli_list_json_is_one_object_per_line(db_url: str, populated: dict[str, Job]) -> None:
    result = cli(db_url, "list", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["id"] for r in rows] == [populated[k].id for k in ("waiting", "bad", "ok")]
    assert ID_NUMBER not in result.output
    assert rows[2]["case_id"] == MASKED and "payload" not in rows[2]
    assert rows[2]["payload_summary"] == {"case": "{1 keys: operator}", "base_dir": "/cases"}
    filtered = cli(db_url, "list", "--json", "--status", "needs_review")
    assert [json.loads(line)["id"] for line in filtered.output.splitlines()] == [populated["bad"].id]
    assert cli(db_url, "list", "--status", "bogus").exit_code == 2


def test_cli_show(db_url: str, populated: dict[str, Job]) -> None:
    bad = populated["bad"]
    result = cli(db_url, "show", bad.id)
    assert result.exit_code == 0, result.output
    assert ID_NUMBER not in result.output and MASKED in result.output
    for text in ("business_error", "needs_review", "leased", "submitted", "trace", "payload.case"):
        assert text in result.output
    shown = cli(db_url, "show", populated["ok"].id, "--json")
    data = json.loads(shown.output)
    assert data["receipt"] == "GS-2025-0001" and data["status"] == "succeeded"
    assert [e["event"] for e in data["events"]] == ["submitted", "leased", "succeeded"]
    assert ID_NUMBER not in shown.output


def test_cli_unknown_job_and_illegal_transitions_exit_2(db_url: str, populated: dict[str, Job]) -> None:
    missing = cli(db_url, "show", "J-missing")
    assert missing.exit_code == 2 and "jobs list" in missing.output
    done = cli(db_url, "cancel", populated["ok"].id)
    assert done.exit_code == 2 and "cannot be cancelled" in done.output
    retry_ok = cli(db_url, "retry", populated["ok"].id)
    assert retry_ok.exit_code == 2 and "another key" in retry_ok.output


def test_cli_retry_and_cancel(db_url: str, populated: dict[str, Job], queue: JobQueue) -> None:
    result = cli(db_url, "retry", populated["bad"].id, "J-missing")
    assert result.exit_code == 2  # one of them was wrong; the other was still retried
    assert "queued again: attempt 2 of 3" in result.output
    assert queue.get(populated["bad"].id).status is JobStatus.QUEUED
    cancelled = cli(db_url, "cancel", "--json", populated["waiting"].id, populated["bad"].id)
    assert cancelled.exit_code == 0, cancelled.output
    assert [json.loads(line)["status"] for line in cancelled.output.splitlines()] == ["cancelled", "cancelled"]


def test_cli_artifacts(db_url: str, populated: dict[str, Job], tmp_path: Path) -> None:
    result = cli(db_url, "artifacts", populated["bad"].id)
    assert result.exit_code == 0, result.output
    assert f"playwright show-trace {tmp_path / 'trace.zip'}" in result.output
    data = [json.loads(line) for line in cli(db_url, "artifacts", "--json", populated["bad"].id).output.splitlines()]
    assert data == [{"id": 1, "job_id": populated["bad"].id, "attempt": 1, "kind": "trace",
                     "path": str(tmp_path / "trace.zip"), "bytes": 20, "created_at": data[0]["created_at"],
                     "exists": True}]
    assert cli(db_url, "artifacts", populated["ok"].id).exit_code == 0


def test_cli_reports_an_unusable_database_with_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(jobs_app, ["--db", f"sqlite:///{blocker}/sub/g.db", "list"])
    assert result.exit_code == 1 and "error: database" in result.output


def test_cli_worker_rejects_bad_options(db_url: str) -> None:
    import typer

    from govauto.jobs.cli import worker_command

    app = typer.Typer()
    app.command()(worker_command)
    bad_limit = CliRunner().invoke(app, ["--db", db_url, "--limit", "portal:2"])
    assert bad_limit.exit_code == 2 and "TARGET=N" in bad_limit.output
    bad_executor = CliRunner().invoke(app, ["--db", db_url, "--executor", "tests.nothing:X", "--drain"])
    assert bad_executor.exit_code == 2 and "cannot import tests.nothing" in bad_executor.output


def test_a_job_that_may_have_submitted_never_ends_plain_failed(db_url: str) -> None:
    store = open_store(db_url)
    queue = JobQueue(store, backoff_base=0)
    job, _ = queue.submit("r", "t", "CASE-1", {}, max_attempts=1)
    leased = queue.lease("w", {"t": 1})
    assert leased is not None
    queue.mark_submitting(job.id, "w")
    done = queue.finish(job.id, "w", ExecutionResult("retry", error_kind="timeout", message="no answer"))
    assert done.status == "needs_review"
    [task] = list_review_tasks(store, job_id=job.id)
    assert task.reason == "robot.uncertain" and "no answer" in task.message
