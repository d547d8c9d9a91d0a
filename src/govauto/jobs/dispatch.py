"""Carrying "run job J" messages through a task queue (Celery) while the store stays the truth.

A message says only *which* job to run; everything else (status, attempts, leases, the per-target limits) is read
from and written to the store in the transaction that leases the job. Two halves:

**Dispatcher** (publisher side). A pass, in one transaction, looks at every queued job and every running job whose
lease expired, and publishes a message for those that need one, at most as many per target as the target has free
slots (its limit minus its running jobs with a live lease minus the jobs already sent and not yet started), in
priority order. Each message is recorded as a ``dispatched`` event in the job's history (queue, task id, reason),
written in the same transaction as the publish, so a pass that fails publishes nothing it did not record. A job
needs a message when nothing was dispatched since it last entered the queue or was leased (events ``submitted``,
``retry_scheduled``, ``released``, ``retried``, ``leased``: compared by event id, so machines' clocks do not matter),
or when its last message is older than ``redispatch_after`` and the job still has not started: that message was
lost (the broker restarted without it, a worker holding a delayed copy died). Several dispatchers may run (one per
worker): on PostgreSQL a pass holds a transaction-scoped advisory lock (a pass that finds it taken skips), on
SQLite the write lock; either way a job is never dispatched twice for one reason.

**Delivery** (consumer side, :class:`JobMessageHandler`). A worker that receives "run job J" leases *that* job
(:meth:`~govauto.jobs.JobQueue.lease_job`); when the job is already final (a duplicate delivery) it does nothing;
when the target is full, the job is held by a live lease (a message delivered again after a worker died) or waits
for its back-off, it asks to be delivered again later (a countdown) instead of holding a worker; and it runs the
job with the code :class:`~govauto.jobs.LocalRunner` uses (heartbeat thread, executor, finish or hand back), so
retries, back-off, ``needs_review`` and ``submit_uncertain`` behave the same under every runner.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from sqlalchemy import and_, func, or_, select, text

from govauto.errors import GovautoError, JobNotFoundError, StoreError
from govauto.jobs.model import Job, JobExecutor, JobStatus
from govauto.jobs.queue import JobQueue, LeaseOutcome
from govauto.privacy import mask_id_numbers
from govauto.store.schema import job_events, jobs

__all__ = [
    "DISPATCHED",
    "Delivery",
    "Dispatch",
    "DispatchRecord",
    "Dispatcher",
    "JobMessageHandler",
    "Publish",
]

log = logging.getLogger("govauto.jobs.dispatch")

DISPATCHED = "dispatched"
"""The event recording that a message "run this job" was published."""

ENTRY_EVENTS = ("submitted", "retry_scheduled", "released", "retried", "leased")
"""Events after which a job needs a new message: it entered the queue, or was leased (its lease may expire)."""

_DISPATCH_LOCK_KEY = 7261750  # PostgreSQL advisory lock: one dispatch pass at a time (7261746-49: store, audit)
Q, R = JobStatus.QUEUED.value, JobStatus.RUNNING.value


def _aware(value: datetime | str) -> datetime:
    """A ``max(ts)`` read back: an aware datetime on PostgreSQL; on SQLite the stored naive UTC text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _say(level: int, message: str, *args: object) -> None:
    if log.isEnabledFor(level):
        log.log(level, "%s", mask_id_numbers(message % args if args else message))


class Publish(Protocol):
    """Sends the message "run job ``job_id``" to ``queue`` with the id ``task_id``; raises when it cannot."""

    def __call__(self, job_id: str, queue: str, task_id: str) -> None: ...


@dataclass(frozen=True)
class Dispatch:
    """One message a pass published. ``reason``: ``new`` (never sent), ``requeued`` (queued again after a retry,
    a hand-back or ops' retry), ``lease_expired`` (its worker stopped renewing the lease) or ``redispatch`` (its
    last message is older than ``redispatch_after`` and the job never started: the message was lost)."""

    job_id: str
    target: str
    queue: str
    task_id: str
    reason: str


@dataclass(frozen=True)
class DispatchRecord:
    """The latest ``dispatched`` event of a job."""

    event_id: int
    ts: datetime
    task_id: str | None
    queue: str | None


@dataclass(frozen=True)
class _Candidate:
    id: str
    robot: str
    target: str
    status: str
    priority: int
    created_at: datetime
    not_before: datetime | None
    lease_expires_at: datetime | None
    attempts: int


class Dispatcher:
    """Publishes the stored jobs that need a message (see the module docstring).

    :param queue: the job queue (its store and clock).
    :param publish: sends one message; an exception aborts the pass (nothing of it is recorded).
    :param limits: per-target limits, ``default_limit`` for other targets (0 pauses a target): the same as the
        workers', so that no more jobs are sent than can run.
    :param queue_for: the task queue of a job, from its ``robot``.
    :param redispatch_after: seconds after which a job that was sent and has not started is sent again.
    :param max_per_pass: at most this many messages in one pass (one transaction).
    """

    def __init__(self, queue: JobQueue, publish: Publish, *, limits: Mapping[str, int] | None = None,
                 default_limit: int = 1, queue_for: Callable[[str], str] = lambda robot: "robots",
                 redispatch_after: float = 600.0, max_per_pass: int = 500) -> None:
        if redispatch_after <= 0:
            raise ValueError(f"redispatch_after must be > 0 seconds, got {redispatch_after}")
        self.queue = queue
        self.publish = publish
        self.limits = dict(limits or {})
        self.default_limit = default_limit
        self.queue_for = queue_for
        self.redispatch_after = redispatch_after
        self.max_per_pass = max_per_pass

    def __repr__(self) -> str:
        return f"Dispatcher({self.queue.store.display_url!r})"

    def dispatch(self, targets: Iterable[str] | None = None) -> list[Dispatch]:
        """One pass: publish a message for each job that needs one and may run now (of ``targets`` only, when
        given). Returns what was published; an empty list when another dispatcher's pass is under way.

        :raises StoreError: the database cannot be used (nothing was published).
        :raises Exception: whatever ``publish`` raised (the pass is rolled back; messages published before the
            failure remain and are harmless: a message for a job that runs or ran is dropped by the worker).
        """
        store = self.queue.store
        now = self.queue.now()
        published: list[Dispatch] = []
        with store.begin(write=True) as conn:
            if store.dialect == "postgresql" and not conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _DISPATCH_LOCK_KEY}).scalar():
                return []
            alive = or_(jobs.c.status == Q, jobs.c.status == R)
            if targets is not None:
                alive = and_(alive, jobs.c.target.in_(sorted(set(targets))))
            # One statement, so that the jobs and their events come from one snapshot (PostgreSQL reads each
            # statement of a transaction at its own moment): a job seen queued is never judged by a later lease.
            sent = job_events.alias("sent")
            entered = job_events.alias("entered")
            sent_id = (select(func.max(sent.c.id)).where(sent.c.job_id == jobs.c.id, sent.c.event == DISPATCHED)
                       .scalar_subquery())
            sent_ts = (select(func.max(sent.c.ts)).where(sent.c.job_id == jobs.c.id, sent.c.event == DISPATCHED)
                       .scalar_subquery())
            entry_id = (select(func.max(entered.c.id))
                        .where(entered.c.job_id == jobs.c.id, entered.c.event.in_(ENTRY_EVENTS)).scalar_subquery())
            rows = conn.execute(select(
                jobs.c.id, jobs.c.robot, jobs.c.target, jobs.c.status, jobs.c.priority, jobs.c.created_at,
                jobs.c.not_before, jobs.c.lease_expires_at, jobs.c.attempts,
                sent_id.label("sent_id"), sent_ts.label("sent_ts"), entry_id.label("entry_id")).where(alive)).all()
            running: dict[str, int] = {}
            in_flight: dict[str, int] = {}
            due: dict[str, list[tuple[_Candidate, str]]] = {}
            for row in rows:
                job = _Candidate(*row[:9])
                if job.status == R and job.lease_expires_at is not None and job.lease_expires_at > now:
                    running[job.target] = running.get(job.target, 0) + 1
                    continue
                sent_before = row.sent_id
                current = sent_before is not None and sent_before > (row.entry_id or 0)
                if current and (now - _aware(row.sent_ts)).total_seconds() < self.redispatch_after:
                    in_flight[job.target] = in_flight.get(job.target, 0) + 1
                    continue
                if job.status == Q and job.not_before is not None and job.not_before > now:
                    continue  # waits for its back-off; sent when it is due
                if current:
                    reason = "redispatch"
                elif job.status == R:
                    reason = "lease_expired"
                else:
                    reason = "new" if sent_before is None else "requeued"
                due.setdefault(job.target, []).append((job, reason))
            for target, candidates in sorted(due.items()):
                free = (self.limits.get(target, self.default_limit) - running.get(target, 0)
                        - in_flight.get(target, 0))
                candidates.sort(key=lambda c: (-c[0].priority, c[0].created_at, c[0].id))
                for job, reason in candidates[:max(free, 0)]:
                    if len(published) >= self.max_per_pass:
                        break
                    task_id = f"{job.id}-{secrets.token_hex(6)}"
                    queue_name = self.queue_for(job.robot)
                    conn.execute(job_events.insert().values(
                        job_id=job.id, ts=now, event=DISPATCHED, attempt=job.attempts,
                        detail={"queue": queue_name, "task": task_id, "reason": reason}))
                    self.publish(job.id, queue_name, task_id)
                    published.append(Dispatch(job.id, target, queue_name, task_id, reason))
        return published

    def latest(self, job_id: str) -> DispatchRecord | None:
        """The job's latest ``dispatched`` event, or ``None`` when it was never dispatched."""
        with self.queue.store.begin() as conn:
            row = conn.execute(select(job_events.c.id, job_events.c.ts, job_events.c.detail)
                               .where(job_events.c.job_id == job_id, job_events.c.event == DISPATCHED)
                               .order_by(job_events.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        detail = row.detail if isinstance(row.detail, dict) else {}
        return DispatchRecord(row.id, row.ts, detail.get("task"), detail.get("queue"))

    def superseded(self, job_id: str, task_id: str | None) -> bool:
        """Whether a newer message than ``task_id`` was dispatched for the job: the older one should stop."""
        latest = self.latest(job_id)
        return latest is not None and latest.task_id != task_id


DeliveryAction = Literal["ran", "done", "deferred", "dropped", "unknown"]


@dataclass(frozen=True)
class Delivery:
    """What a worker did with one "run job J" message.

    - ``ran``: it leased the job and ran an attempt (``status``: the job's status after it, ``None`` when the
      result could not be recorded);
    - ``done``: the job is final (a duplicate or late delivery), or was ended now because it cannot run again;
    - ``deferred``: the job cannot start now (``detail`` says why): deliver the message again in ``countdown``
      seconds;
    - ``dropped``: it cannot start now and a newer message for it exists: this one ends;
    - ``unknown``: no job has that id.
    """

    action: DeliveryAction
    job_id: str
    detail: str
    countdown: float | None = None
    status: JobStatus | None = None


class JobMessageHandler:
    """Handles "run job J" messages in one worker process (Celery's ``run_job`` task calls :meth:`handle`).

    :param queue: the job queue of this process.
    :param executor: returns this process's executor (built once, on the first call).
    :param worker_id: the name leases are taken under.
    :param dispatcher: when given, used to tell a superseded message (dropped rather than deferred) and, after
        each attempt, to send the next jobs of the target whose slot was freed without waiting for a pass.
    :param defer_base: seconds before the first re-delivery of a message whose target is full, doubled for each
        further one (with jitter: 50-100 %), up to ``defer_cap``.
    :param max_countdown: no re-delivery is asked for later than this (keep it well below the broker's
        visibility timeout).
    """

    def __init__(self, queue: JobQueue, executor: Callable[[], JobExecutor], worker_id: str, *,
                 limits: Mapping[str, int] | None = None, default_limit: int = 1, lease_seconds: float = 300.0,
                 artifacts_root: Path, notify: Callable[[Job], object] | None = None,
                 dispatcher: Dispatcher | None = None, defer_base: float = 2.0, defer_cap: float = 60.0,
                 max_countdown: float = 300.0, rng: random.Random | None = None) -> None:
        self.queue = queue
        self.executor = executor
        self.worker_id = worker_id
        self.limits = dict(limits or {})
        self.default_limit = default_limit
        self.lease_seconds = lease_seconds
        self.artifacts_root = artifacts_root
        self.notify = notify
        self.dispatcher = dispatcher
        self.defer_base = defer_base
        self.defer_cap = defer_cap
        self.max_countdown = max_countdown
        self.current: str | None = None
        """The job whose attempt runs now in this process, if any."""
        self._rng = rng or random.Random()

    def handle(self, job_id: str, task_id: str | None = None, deliveries: int = 0) -> Delivery:
        """Lease job ``job_id`` and run an attempt, or say why not (see :class:`Delivery`).

        :param task_id: the message's id (the ``task`` of its ``dispatched`` event).
        :param deliveries: how many times this message was deferred already (for the back-off).
        :raises ExecutorLoadError: the executor cannot be built (the job is not touched).
        """
        from govauto.jobs.runner import _run_one  # the same attempt as LocalRunner's workers

        executor = self.executor()
        try:
            attempt = self.queue.lease_job(job_id, self.worker_id, self.limits, self.default_limit,
                                           self.lease_seconds)
        except JobNotFoundError:
            return Delivery("unknown", job_id, "no job has this id (was the database replaced?)")
        except StoreError as error:
            return Delivery("deferred", job_id, f"the database cannot be used: {error}",
                            self._backoff(deliveries))
        job = attempt.job
        outcome = attempt.outcome
        if outcome is LeaseOutcome.LEASED:
            self.current = job.id
            try:
                final = _run_one(self.queue, executor, job, self.worker_id, self.artifacts_root, self.lease_seconds,
                                 self.notify)
            finally:
                self.current = None
            self._refill(job.target)
            return Delivery("ran", job_id, f"attempt {job.attempts}", status=None if final is None else final.status)
        if outcome is LeaseOutcome.FINAL:
            return Delivery("done", job_id, f"it is already {job.status} (a repeated message)")
        if outcome is LeaseOutcome.ENDED:
            return Delivery("done", job_id, f"its worker was lost and it cannot run again: ended {job.status}")
        if outcome is LeaseOutcome.HELD:
            why = f"worker {job.lease_owner} holds its lease"
            countdown = (attempt.retry_in or 0.0) + 1.0 + self._rng.random()
        elif outcome is LeaseOutcome.NOT_YET:
            why = "it waits for its retry back-off"
            countdown = (attempt.retry_in or 0.0) + 0.1
        elif outcome is LeaseOutcome.PAUSED:
            why = f"its target {job.target} is paused here (limit 0)"
            countdown = self._backoff(deliveries)
        else:
            limit = self.limits.get(job.target, self.default_limit)
            why = f"its target {job.target} already runs {limit} job(s), its limit"
            countdown = self._backoff(deliveries)
        try:
            if self.dispatcher is not None and self.dispatcher.superseded(job_id, task_id):
                return Delivery("dropped", job_id, f"{why}, and a newer message for it was sent")
        except StoreError as error:
            why = f"{why} (and the database cannot be used: {error})"
        return Delivery("deferred", job_id, why, min(countdown, self.max_countdown))

    def _backoff(self, deliveries: int) -> float:
        delay = min(self.defer_cap, self.defer_base * 2.0 ** max(deliveries, 0))
        return delay * (0.5 + 0.5 * self._rng.random())

    def _refill(self, target: str) -> None:
        """The attempt freed a slot of ``target``: send its next jobs now rather than at the next pass."""
        if self.dispatcher is None:
            return
        try:
            sent = self.dispatcher.dispatch(targets=[target])
            if sent:
                _say(logging.INFO, "dispatched %d job(s) into the slot freed at %s: %s", len(sent), target,
                     ", ".join(f"{d.job_id} → {d.queue}" for d in sent))
        except GovautoError as error:
            _say(logging.DEBUG, "could not dispatch the next %s jobs now (the next pass will): %s", target, error)
        except Exception as error:  # the broker: its client's own errors
            _say(logging.DEBUG, "could not dispatch the next %s jobs now (the next pass will): %s: %s", target,
                 type(error).__name__, error)
