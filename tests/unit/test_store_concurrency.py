"""Several processes on one database (``spawn``, as the runners start them), on SQLite and on PostgreSQL: no job
leased twice and no target over its limit, no review task claimed by two reviewers, least-loaded assignment
balanced, and one unbroken audit chain from every writer."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import func, select

from govauto.audit import AuditTrail
from govauto.casework import Accounts, ReviewQueue, WorkCalendar
from govauto.errors import TaskStateError
from govauto.jobs import ExecutionResult, JobQueue, JobStatus
from govauto.store import open_store
from govauto.store.review import insert_review_task
from govauto.store.schema import jobs

WORKERS = 4
LIMITS = {"A": 2, "B": 1}
GROUP = "440305"
REVIEWERS = ("zhang", "li", "wang", "zhao")


def _pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"))


def _ready(_: int) -> int:
    time.sleep(0.2)  # long enough that every worker process of the pool gets one
    return 1


def _start_together(pool: ProcessPoolExecutor) -> float:
    """Start every worker process (spawn imports govauto, which takes a while) and return a moment shortly after,
    when they all begin: the work then really overlaps."""
    assert sum(pool.map(_ready, range(WORKERS))) == WORKERS
    return time.time() + 0.3


def _wait_for(start: float) -> None:
    time.sleep(max(0.0, start - time.time()))


# -- job leases ---------------------------------------------------------------------------------------------------

def _lease_until_empty(url: str, worker: str, start: float = 0.0) -> dict[str, Any]:
    """Lease and finish jobs until none is left; after each lease, count the running jobs of its target as the
    database holds them (every committed state must respect the limits)."""
    queue = JobQueue(open_store(url))
    _wait_for(start)
    taken: list[tuple[str, int]] = []
    worst: dict[str, int] = {}
    idle = 0
    while idle < 200:
        job = queue.lease(worker, LIMITS, default_limit=3, lease_seconds=60)
        if job is None:
            counts = queue.counts()
            if not counts["queued"] and not counts["running"]:
                break
            idle += 1
            time.sleep(0.02)  # the other workers hold the targets' slots
            continue
        idle = 0
        taken.append((job.id, job.attempts))
        with queue.store.begin() as conn:
            running = conn.execute(select(func.count()).select_from(jobs).where(
                jobs.c.target == job.target, jobs.c.status == JobStatus.RUNNING.value)).scalar_one()
        worst[job.target] = max(worst.get(job.target, 0), running)
        time.sleep(0.01)  # the job runs a moment: meanwhile the other workers lease
        queue.mark_submitting(job.id, worker, attempt=job.attempts)
        queue.finish(job.id, worker, ExecutionResult("succeeded", receipt=f"R-{job.id}"), attempt=job.attempts)
    queue.store.dispose()
    return {"taken": taken, "worst": worst}


def test_concurrent_workers_never_lease_a_job_twice_nor_exceed_a_limit(store_url: str) -> None:
    queue = JobQueue(open_store(store_url))
    submitted = [queue.submit("establish", target, f"C-{target}-{i}", {"i": i})[0].id
                 for i in range(12) for target in ("A", "B", "C")]
    queue.store.dispose()
    with _pool() as pool:
        start = _start_together(pool)
        results = list(pool.map(_lease_until_empty, [store_url] * WORKERS, [f"w{n}" for n in range(WORKERS)],
                                [start] * WORKERS))
    taken = [job_id for result in results for job_id, _ in result["taken"]]
    assert Counter(taken).most_common(1)[0][1] == 1, "a job was leased twice"
    assert sorted(taken) == sorted(submitted)
    assert all(attempt == 1 for result in results for _, attempt in result["taken"])
    for result in results:
        for target, running in result["worst"].items():
            assert running <= LIMITS.get(target, 3), (target, running)
    assert queue.counts()["succeeded"] == len(submitted)
    assert sum(1 for result in results if result["taken"]) > 1, "one worker did everything: nothing ran at once"
    report = AuditTrail(queue.store).verify()   # every worker appended robot_submitted and robot_receipt records
    assert report.ok, report.problems[:5]
    assert report.records == 2 * len(submitted)


# -- review tasks -------------------------------------------------------------------------------------------------

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _tasks(url: str, n: int) -> list[str]:
    """``n`` open robot review tasks of the group (adopted by the queue on first use) and four reviewers."""
    store = open_store(url)
    accounts = Accounts(store, hasher=CHEAP)
    for name in REVIEWERS:
        accounts.add_user(name, "correct horse battery", role="reviewer", groups=[GROUP])
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    with store.begin(write=True) as conn:
        ids = [insert_review_task(conn, case_id=f"C-{i}", job_id=None, source="robot", reason="robot.business",
                                  message="地址不规范", detail={"group": GROUP}, now=now) for i in range(n)]
    store.dispose()
    return ids


def _claim_all(url: str, user: str, task_ids: list[str], start: float = 0.0) -> list[str]:
    """Try to claim every task, in an order of this worker's own; return those this user got."""
    queue = ReviewQueue(open_store(url), WorkCalendar.default())
    _wait_for(start)
    order = list(task_ids)
    random.Random(user).shuffle(order)
    got = []
    for task_id in order:
        try:
            queue.claim(task_id, user)
        except TaskStateError as error:
            assert "holds it" in str(error)
            continue
        got.append(task_id)
    queue.store.dispose()
    return got


def test_two_reviewers_never_claim_the_same_task(store_url: str) -> None:
    task_ids = _tasks(store_url, 24)
    with _pool() as pool:
        start = _start_together(pool)
        results = dict(zip(REVIEWERS, pool.map(_claim_all, [store_url] * WORKERS, REVIEWERS, [task_ids] * WORKERS,
                                               [start] * WORKERS), strict=True))
    claimed = [task_id for got in results.values() for task_id in got]
    assert sorted(claimed) == sorted(task_ids), "a task was claimed twice, or by nobody"
    queue = ReviewQueue(open_store(store_url), WorkCalendar.default())
    for user, got in results.items():
        assert sorted(t.id for t in queue.list(assignee=user)) == sorted(got)
    for task_id in task_ids:
        events = [e.event for e in queue.events(task_id)]
        assert events == ["opened", "claimed"], (task_id, events)


def _assign_least_loaded(url: str, task_ids: list[str], start: float) -> None:
    queue = ReviewQueue(open_store(url), WorkCalendar.default())
    _wait_for(start)
    for task_id in task_ids:
        queue.assign_least_loaded(task_id, GROUP, by="system")
    queue.store.dispose()


def test_least_loaded_assignment_from_several_processes_stays_balanced(store_url: str) -> None:
    task_ids = _tasks(store_url, 24)
    ReviewQueue(open_store(store_url), WorkCalendar.default()).list()  # adopt the robot tasks once
    shares = [task_ids[n::WORKERS] for n in range(WORKERS)]
    with _pool() as pool:
        start = _start_together(pool)
        list(pool.map(_assign_least_loaded, [store_url] * WORKERS, shares, [start] * WORKERS))
    loads = ReviewQueue(open_store(store_url), WorkCalendar.default()).workload(GROUP)
    assert sum(loads.values()) == len(task_ids)
    assert loads == dict.fromkeys(REVIEWERS, len(task_ids) // len(REVIEWERS)), loads


def test_the_worker_functions_run_in_this_process_too(store_url: str) -> None:
    """The functions the pools run, once here: a failure inside them shows with its traceback."""
    task_ids = _tasks(store_url, 3)
    assert sorted(_claim_all(store_url, "zhang", task_ids)) == sorted(task_ids)
    assert _claim_all(store_url, "li", task_ids) == []
    queue = JobQueue(open_store(store_url))
    queue.submit("establish", "A", "C-1", {})
    assert [job_id for job_id, _ in _lease_until_empty(store_url, "w")["taken"]] == [queue.list()[0].id]
