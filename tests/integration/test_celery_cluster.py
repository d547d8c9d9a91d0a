"""The Celery runner with real processes: a redis-server of the test's own, Celery workers, the legacy-portal
simulator and real Chromium; a worker is SIGKILLed in the middle of a submit and Redis is restarted mid-batch.

The store is PostgreSQL when GOVAUTO_TEST_POSTGRES_URL is set (a fresh database), SQLite otherwise.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from govauto.jobs import JobQueue, JobStatus
from govauto.robots.enqueue import submit_case
from govauto.runtime import Runtime
from govauto.store import open_store
from govauto.testing.generate import generate_approved_cases
from govauto.testing.legacy_portal import Fault, LegacyPortal
from tests.cluster import (
    RedisServer,
    WorkerProcess,
    celery_worker_argv,
    fresh_database,
    govauto_worker_argv,
    needs_redis,
    redis_server,
    wait_for,
)

pytestmark = [
    needs_redis,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("GOVAUTO_CHROMIUM"),
                       reason="needs Debian's chromium (make system-deps installs it)"),
]

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 2
LEASE = 10.0  # seconds: a killed worker's job is taken over this long after its last heartbeat
IDLE = 4.0  # the portal's session idle timeout: the killed worker's session is gone before its lease expires


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


def worker_env(tmp_path: Path, broker: RedisServer, db_url: str, portal: LegacyPortal) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVAUTO_")}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "GOVAUTO_HOME": str(tmp_path / "home"),
        "GOVAUTO_BROKER_URL": broker.url,
        "GOVAUTO_DATABASE_URL": db_url,
        "GOVAUTO_PORTAL_URL": portal.url,
        "GOVAUTO_CREDENTIALS_LEGACY_PORTAL_USERNAME": "robot",
        "GOVAUTO_CREDENTIALS_LEGACY_PORTAL_PASSWORD": "robot-pass",
        "GOVAUTO_ROBOT_BACKOFF": "0.2",
        "GOVAUTO_ROBOT_BACKOFF_MAX": "1",
        "GOVAUTO_ROBOT_TRACE": "0",
        "GOVAUTO_JOB_BACKOFF": "0.5",
        # for `celery -A govauto.jobs.celery_app worker` (the `govauto worker` ones get options)
        "GOVAUTO_LIMITS": f"legacy_portal={LIMIT}",
        "GOVAUTO_LEASE_SECONDS": str(LEASE),
        "GOVAUTO_DISPATCH_INTERVAL": "0.5",
        "GOVAUTO_REDISPATCH_SECONDS": "5",
    })
    if os.environ.get("GOVAUTO_CHROMIUM"):
        env["GOVAUTO_CHROMIUM"] = os.environ["GOVAUTO_CHROMIUM"]
    return env


def start_govauto_worker(name: str, env: dict[str, str], tmp_path: Path) -> WorkerProcess:
    return WorkerProcess(name, govauto_worker_argv(
        "--concurrency", "1", "--limit", f"legacy_portal={LIMIT}", "--lease-seconds", str(LEASE),
        "--poll-interval", "0.5", "--redispatch-after", "5"), env, tmp_path)


def lease_pid(owner: str | None) -> int:
    """The process id in a lease owner ``host:pid:random``."""
    assert owner is not None
    return int(owner.split(":")[-2])


def test_a_batch_survives_a_killed_worker_and_a_redis_restart_without_a_duplicate_or_a_broken_limit(
        tmp_path: Path, broker: RedisServer, db_url: str) -> None:
    started = time.monotonic()
    with LegacyPortal(tmp_path / "portal.db", idle_timeout=IDLE, seed=5) as portal:
        # The first final submit is stored by the portal, which then never answers: its worker is killed then.
        portal.set_faults([Fault("hang", path="/gt/establish_submit.do", times=1)])
        queue = JobQueue(open_store(db_url))
        runtime = Runtime()
        cases = list(generate_approved_cases(14, seed=23))
        for case in cases:
            assert submit_case(queue, runtime, case)[1]
        env = worker_env(tmp_path, broker, db_url, portal)
        workers = [start_govauto_worker("worker-a", env, tmp_path), start_govauto_worker("worker-b", env, tmp_path)]
        try:
            # 1. a worker dies (SIGKILL: its pool, its browser) after its submit reached the portal
            wait_for(lambda: portal.records(), 120, "the first application to reach the portal")
            [hung] = portal.records()
            [job] = queue.list(case_id=hung["wbywh"])
            assert job.status is JobStatus.RUNNING and job.submit_uncertain, job
            [doomed] = [w for w in workers if w.owns(lease_pid(job.lease_owner))]
            doomed.kill()
            killed_at = time.monotonic()
            # a replacement, started with Celery's own command and configured from the environment
            workers.append(WorkerProcess("worker-c", celery_worker_argv(
                "--concurrency", "1", "--queues", "robots,extraction", "--without-mingle", "--without-gossip",
                "--hostname", "c@%h", "--loglevel", "INFO"), env, tmp_path))

            # 2. the broker crashes mid-batch and comes back empty
            wait_for(lambda: queue.counts()[JobStatus.SUCCEEDED] >= 4, 120, "four jobs to succeed")
            broker.restart()
            restarted_at = queue.now()

            jobs = queue.wait_all([j.id for j in queue.list(limit=100)], timeout=150, poll=0.5)
        except BaseException:
            for worker in workers:
                print(worker.log_tail(), file=sys.stderr)
            raise
        finally:
            for worker in workers:
                worker.stop(timeout=20)
        stats = portal.stats()
        records = portal.records()

    statuses = Counter(job.status.value for job in jobs)
    # every job is final: succeeded with the receipt the portal gave, or with a person, saying why
    assert set(statuses) <= {"succeeded", "needs_review"}, statuses
    receipts = {r["wbywh"]: r["receipt"] for r in records}
    for done in jobs:
        if done.status is JobStatus.SUCCEEDED:
            assert done.receipt == receipts[done.case_id]
        else:
            assert done.error_kind and done.error_message, done
    # nothing entered twice
    per_case = Counter(r["wbywh"] for r in records)
    assert [case for case, n in per_case.items() if n > 1] == []
    assert len(records) == statuses["succeeded"]
    # the target never had more sessions than its limit, across all workers
    assert stats["max_active_sessions"] <= LIMIT, stats
    # the killed worker's job was taken over: a second attempt found the application instead of submitting again
    taken_over = queue.get(job.id)
    assert taken_over.status is JobStatus.SUCCEEDED and taken_over.reconciled and taken_over.attempts >= 2
    assert per_case[job.case_id] == 1
    events = queue.events(job.id)
    names = [e.event for e in events]
    assert "lease_expired" in names
    assert [e.detail["reason"] for e in events if e.event == "dispatched"][-1] == "lease_expired"
    # the workers went on after the broker came back: jobs were leased after the restart
    leased_after = [e for j in jobs for e in queue.events(j.id) if e.event == "leased" and e.ts > restarted_at]
    assert leased_after, "no job started after Redis was restarted"
    assert time.monotonic() - killed_at < 180 and time.monotonic() - started < 240
