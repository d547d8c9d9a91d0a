"""Celery workers as real processes with the fake executor (fast, no browser): lost messages, limits across
workers, a pool process killed mid-submit, repeated messages, warm and cold shutdown.

A redis-server of the test's own on a free port; the store is PostgreSQL when GOVAUTO_TEST_POSTGRES_URL is set (a
fresh database), SQLite otherwise.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from govauto.jobs import ExecutionResult, JobQueue, JobStatus
from govauto.jobs.celery_runner import TASK_NAME, CeleryConfig, CeleryPublisher, create_app
from govauto.jobs.dispatch import DISPATCHED, Dispatcher
from govauto.store import open_store
from tests.cluster import (
    RedisServer,
    WorkerProcess,
    fresh_database,
    govauto_worker_argv,
    needs_redis,
    redis_server,
    wait_for,
)
from tests.jobs_fakes import FAKES_DIR_ENV, max_overlap, read_runs

pytestmark = needs_redis

ROOT = Path(__file__).resolve().parents[2]
FAKE = "tests.jobs_fakes:FakeExecutor"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def queue(db_url: str) -> JobQueue:
    return JobQueue(open_store(db_url))


@pytest.fixture
def env(tmp_path: Path, broker: RedisServer, db_url: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("GOVAUTO_")}
    values.update({"PYTHONPATH": str(ROOT), "GOVAUTO_HOME": str(tmp_path / "home"),
                   "GOVAUTO_BROKER_URL": broker.url, "GOVAUTO_DATABASE_URL": db_url,
                   FAKES_DIR_ENV: str(tmp_path / "fakes")})
    return values


def worker(name: str, env: dict[str, str], tmp_path: Path, *options: str) -> WorkerProcess:
    return WorkerProcess(name, govauto_worker_argv("--executor", FAKE, "--poll-interval", "0.3", *options), env,
                         tmp_path)


def finish(workers: list[WorkerProcess], timeout: float = 60.0) -> None:
    """Wait for draining workers to exit by themselves; show their logs if they do not, or fail."""
    try:
        for w in workers:
            w.process.wait(timeout)
        assert [w.process.returncode for w in workers] == [0] * len(workers)
    except BaseException:
        for w in workers:
            w.stop(5)
            print(w.log_tail(), file=sys.stderr)
        raise


def test_messages_the_broker_lost_are_sent_again_and_a_repeated_message_changes_nothing(
        tmp_path: Path, broker: RedisServer, db_url: str, queue: JobQueue, env: dict[str, str]) -> None:
    ids = [queue.submit("establish", "A", f"C-{i}", {"sleep": 0.1})[0].id for i in range(4)]
    app = create_app(CeleryConfig(broker_url=broker.url, store_url=db_url, dispatch=False))
    sent = Dispatcher(queue, CeleryPublisher(app), limits={"A": 4}).dispatch()
    assert sorted(d.job_id for d in sent) == sorted(ids)
    broker.restart()  # an unpersisted broker crashed: the four messages are gone
    # a job that already ran, and a message for it delivered once more
    done, _ = queue.submit("establish", "B", "C-done", {})
    queue.lease_job(done.id, "earlier")
    queue.finish(done.id, "earlier", ExecutionResult("succeeded", receipt="R-done"))
    before = queue.events(done.id)
    app.send_task(TASK_NAME, args=[done.id], queue="robots")

    w = worker("w", env, tmp_path, "--limit", "A=4", "--redispatch-after", "2", "--drain", "--concurrency", "2")
    finish([w])

    jobs = [queue.get(job_id) for job_id in ids]
    assert all(job.status is JobStatus.SUCCEEDED for job in jobs), jobs
    for job_id in ids:
        assert [e.detail["reason"] for e in queue.events(job_id) if e.event == DISPATCHED] == ["new", "redispatch"]
    runs = read_runs(tmp_path / "fakes")
    assert sorted(r["job"] for r in runs) == sorted(ids), "each job ran once"
    assert queue.events(done.id) == before
    assert "already succeeded (a repeated message)" in w.log_path.read_text("utf-8")


def test_the_per_target_limit_holds_across_two_celery_workers(
        tmp_path: Path, queue: JobQueue, env: dict[str, str]) -> None:
    ids = [queue.submit("establish", "A" if i % 4 else "B", f"C-{i}", {"sleep": 0.3})[0].id for i in range(16)]
    options = ("--limit", "A=2", "--limit", "B=1", "--drain", "--concurrency", "2")
    workers = [worker("w1", env, tmp_path, *options), worker("w2", env, tmp_path, *options)]
    finish(workers)
    assert all(queue.get(job_id).status is JobStatus.SUCCEEDED for job_id in ids)
    runs = read_runs(tmp_path / "fakes")
    assert Counter(r["job"] for r in runs) == dict.fromkeys(ids, 1)
    assert max_overlap([r for r in runs if r["target"] == "A"]) == 2
    assert max_overlap([r for r in runs if r["target"] == "B"]) == 1
    assert len({r["pid"] for r in runs}) >= 2, "the jobs were spread over worker processes"


def test_a_pool_process_killed_mid_submit_is_replaced_and_its_job_taken_over_once_the_lease_expires(
        tmp_path: Path, queue: JobQueue, env: dict[str, str]) -> None:
    job, _ = queue.submit("establish", "A", "C-1", {"block_first": True})
    # The worker notices a dead pool process within a few seconds and re-queues its message; the lease must
    # outlive that, so that the message finds the job still held by the dead process and waits for it.
    w = worker("w", env, tmp_path, "--lease-seconds", "12", "--drain")
    fakes = tmp_path / "fakes"
    try:
        wait_for(lambda: (fakes / f"block-{job.id}.pid").exists(), 30, "the first attempt to start submitting")
        child = int((fakes / f"block-{job.id}.pid").read_text())
        assert child != w.pid and w.owns(child), "the attempt runs in a pool process"
        os.kill(child, signal.SIGKILL)  # the process dies; Celery re-queues its message at once
    except BaseException:
        w.stop(5)
        print(w.log_tail(), file=sys.stderr)
        raise
    finish([w])
    done = queue.get(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.reconciled and done.attempts == 2
    names = [e.event for e in queue.events(job.id)]
    assert names.count("leased") == 2 and "lease_expired" in names and names.count("submitting") == 1
    log = w.log_path.read_text("utf-8")
    assert "holds its lease" in log, "the message delivered again waited for the dead process's lease"


def test_sigterm_lets_the_running_job_finish_and_sigquit_hands_it_back(
        tmp_path: Path, queue: JobQueue, env: dict[str, str]) -> None:
    job, _ = queue.submit("establish", "A", "C-1", {"sleep": 2})
    w = worker("warm", env, tmp_path)
    wait_for(lambda: queue.get(job.id).status is JobStatus.RUNNING, 30, "the job to start")
    os.kill(w.pid, signal.SIGTERM)  # the worker's main process: Celery's warm shutdown
    assert w.process.wait(30) == 0
    assert queue.get(job.id).status is JobStatus.SUCCEEDED

    long, _ = queue.submit("establish", "A", "C-2", {"sleep": 60})
    w = worker("cold", env, tmp_path, "--grace-seconds", "0.5")
    wait_for(lambda: queue.get(long.id).status is JobStatus.RUNNING, 30, "the long job to start")
    os.kill(w.pid, signal.SIGQUIT)  # cold shutdown: the running job is handed back, not lost for a lease time
    w.process.wait(30)
    back = queue.get(long.id)
    assert back.status is JobStatus.QUEUED and back.attempts == 0, (back, w.log_tail())
    names = [e.event for e in queue.events(long.id)]
    assert names[names.index("leased"):][:2] == ["leased", "released"]
    assert "handed back (the worker was stopped during attempt 1)" in w.log_path.read_text("utf-8")


def test_a_worker_whose_processes_cannot_build_the_executor_stops_and_leaves_the_job_queued(
        tmp_path: Path, queue: JobQueue, env: dict[str, str]) -> None:
    job, _ = queue.submit("establish", "A", "C-1", {})
    w = WorkerProcess("broken", govauto_worker_argv("--executor", "tests.jobs_fakes:BrokenFactory"), env, tmp_path)
    assert w.process.wait(60) == 2, w.log_tail()
    log = w.log_path.read_text("utf-8")
    assert "executor tests.jobs_fakes:BrokenFactory: building it failed: RuntimeError: no browser here" in log
    assert "error: the worker processes could not build the executor tests.jobs_fakes:BrokenFactory" in log
    left = queue.get(job.id)
    assert left.status is JobStatus.QUEUED and left.attempts == 0
