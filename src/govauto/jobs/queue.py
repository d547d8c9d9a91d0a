"""The job queue: every state change of a job, each one transaction in the store.

The database is the only coordinator: workers in several processes (and, later, machines) lease jobs from it, and
the per-target concurrency limit is checked in the same transaction that takes the job, so it holds however many
workers run. On SQLite that transaction takes the write lock when it begins (``BEGIN IMMEDIATE``), which
serialises leases; on PostgreSQL a transaction-scoped advisory lock does the same and the chosen row is locked
with ``FOR UPDATE SKIP LOCKED``.

Transitions (every one is also written to ``job_events``)::

    submit ──► queued ──lease──► running ──finish──► succeeded | needs_review | failed | cancelled
                 ▲                 │  │
                 │◄──finish(retry)─┘  └──lease expired──► running again (another worker; attempt + 1)
                 │◄──release (worker shutting down; the attempt is not counted)
                 └──retry (ops) ◄── failed | needs_review | cancelled
"""

from __future__ import annotations

import builtins
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from govauto.audit import append as audit_append
from govauto.errors import JobError, JobNotFoundError, JobStateError, LeaseLostError
from govauto.jobs.model import PROCESS_TASK, ExecutionResult, Job, JobArtifact, JobEvent, JobStatus
from govauto.store import Store
from govauto.store.review import insert_review_task, new_id
from govauto.store.schema import job_artifacts, job_events, jobs, review_tasks

__all__ = ["JobQueue", "LeaseAttempt", "LeaseOutcome"]

Q, R = JobStatus.QUEUED.value, JobStatus.RUNNING.value
_LEASE_LOCK_KEY = 7261747  # PostgreSQL advisory lock that serialises leases (the per-target count must be exact)
_MAX_SKIPPED = 100


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LeaseOutcome(StrEnum):
    """How :meth:`JobQueue.lease_job` answered: whether the job was taken, and if not, why."""

    LEASED = "leased"
    FINAL = "final"
    ENDED = "ended"
    HELD = "held"
    NOT_YET = "not_yet"
    TARGET_FULL = "target_full"
    PAUSED = "paused"


@dataclass(frozen=True)
class LeaseAttempt:
    """The answer of :meth:`JobQueue.lease_job`: the outcome, the job as it is now, and for ``held`` and
    ``not_yet`` the seconds until the job may be taken (``retry_in``)."""

    outcome: LeaseOutcome
    job: Job
    retry_in: float | None = None

    @property
    def leased(self) -> bool:
        return self.outcome is LeaseOutcome.LEASED


class JobQueue:
    """Submit, lease, finish and manage jobs in a :class:`~govauto.store.Store`.

    :param store: the database.
    :param clock: returns the current time (aware UTC); tests pass a fake clock.
    :param backoff_base: seconds before the second attempt when a result asks for a retry without saying when;
        doubled for each further attempt, with jitter (50-100 % of the value), up to ``backoff_cap``. Default:
        ``$GOVAUTO_JOB_BACKOFF``, else 30.
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime] | None = None, backoff_base: float | None = None,
                 backoff_cap: float = 900.0, rng: random.Random | None = None) -> None:
        self.store = store
        self._clock = clock or _utcnow
        if backoff_base is None:
            try:
                backoff_base = float(os.environ.get("GOVAUTO_JOB_BACKOFF", "30"))
            except ValueError:
                raise JobError(f"GOVAUTO_JOB_BACKOFF={os.environ['GOVAUTO_JOB_BACKOFF']!r} is not a number of "
                               "seconds") from None
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"JobQueue({self.store.display_url!r})"

    def now(self) -> datetime:
        """The queue's current time (aware UTC): what it stamps on jobs and events."""
        return self._clock()

    # -- submitting and reading ---------------------------------------------------------------------------------

    def submit(self, robot: str, target: str, case_id: str, payload: Mapping[str, Any], *, key: str | None = None,
               max_attempts: int = 3, priority: int = 0) -> tuple[Job, bool]:
        """Queue a job, unless one with the same idempotency key exists.

        :param robot: which robot does the work.
        :param target: the target system; jobs of one target share its concurrency limit.
        :param payload: what the executor needs (e.g. the case); must be JSON-serialisable.
        :param key: the idempotency key, default ``"<case_id>:<robot>"``: never two jobs for one key.
        :param priority: higher runs first.
        :returns: ``(job, created)``; ``created`` is false when the key's existing job is returned (whatever its
            status: a finished job is not run again, ops retry it).
        :raises JobError: an empty name, a name longer than 100 characters or a key longer than 255, or
            ``max_attempts`` below 1.
        """
        for name, value in (("robot", robot), ("target", target), ("case_id", case_id)):
            if not isinstance(value, str) or not value.strip():
                raise JobError(f"cannot submit a job without a {name}: got {value!r}")
            if len(value) > 100:  # the column's length: PostgreSQL would refuse it, SQLite not
                raise JobError(f"a job's {name} has at most 100 characters, got {len(value)}: {value[:40]!r}…")
        if max_attempts < 1:
            raise JobError(f"max_attempts must be at least 1, got {max_attempts}")
        key = key if key is not None else f"{case_id}:{robot}"
        if len(key) > 255:
            raise JobError(f"an idempotency key has at most 255 characters, got {len(key)}: {key[:40]!r}…; pass a "
                           "shorter key=")
        existing = self._by_key(key)
        if existing is not None:
            return existing, False
        now = self._clock()
        job_id = new_id("J")
        try:
            with self.store.begin(write=True) as conn:
                found = conn.execute(select(jobs).where(jobs.c.key == key)).first()
                if found is not None:
                    return Job.from_row(found), False
                conn.execute(jobs.insert().values(
                    id=job_id, key=key, robot=robot, target=target, case_id=case_id, payload=dict(payload),
                    status=Q, priority=priority, attempts=0, max_attempts=max_attempts, submit_uncertain=False,
                    reconciled=False, cancel_requested=False, created_at=now, updated_at=now))
                self._event(conn, job_id, "submitted", 0, now, key=key, robot=robot, target=target,
                            priority=priority, max_attempts=max_attempts)
                return self._get(conn, job_id), True
        except IntegrityError:  # another process inserted the same key between our check and our insert
            existing = self._by_key(key)
            if existing is None:
                raise
            return existing, False

    def get(self, job_id: str) -> Job:
        """The job with this id. :raises JobNotFoundError: no such job."""
        with self.store.begin() as conn:
            return self._get(conn, job_id)

    def list(self, status: str | None = None, robot: str | None = None, target: str | None = None,
             case_id: str | None = None, limit: int | None = 100) -> builtins.list[Job]:
        """Jobs, newest first, filtered by any of status, robot, target and case id; at most ``limit``."""
        query = select(jobs).order_by(jobs.c.id.desc())
        if status is not None:
            query = query.where(jobs.c.status == JobStatus(status).value)
        for column, value in ((jobs.c.robot, robot), (jobs.c.target, target), (jobs.c.case_id, case_id)):
            if value is not None:
                query = query.where(column == value)
        if limit is not None:
            query = query.limit(limit)
        with self.store.begin() as conn:
            return [Job.from_row(row) for row in conn.execute(query)]

    def events(self, job_id: str) -> builtins.list[JobEvent]:
        """The job's history, oldest first. :raises JobNotFoundError: no such job."""
        with self.store.begin() as conn:
            self._get(conn, job_id)
            rows = conn.execute(select(job_events).where(job_events.c.job_id == job_id).order_by(job_events.c.id))
            return [JobEvent.from_row(row) for row in rows]

    def artifacts(self, job_id: str) -> builtins.list[JobArtifact]:
        """The files the job's attempts left, oldest first. :raises JobNotFoundError: no such job."""
        with self.store.begin() as conn:
            self._get(conn, job_id)
            rows = conn.execute(select(job_artifacts).where(job_artifacts.c.job_id == job_id)
                                .order_by(job_artifacts.c.id))
            return [JobArtifact.from_row(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many jobs are in each status (every status present, zeros included)."""
        with self.store.begin() as conn:
            rows = conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status)).all()
        counts = {status.value: 0 for status in JobStatus}
        counts.update({status: n for status, n in rows})
        return counts

    def pending_by_target(self) -> dict[str, int]:
        """How many jobs are queued or running, per target (targets with none are absent)."""
        query = (select(jobs.c.target, func.count()).where(jobs.c.status.in_((Q, R))).group_by(jobs.c.target))
        with self.store.begin() as conn:
            return {target: n for target, n in conn.execute(query).all()}

    def wait_all(self, job_ids: Iterable[str], timeout: float = 60.0, poll: float = 0.2) -> builtins.list[Job]:
        """Wait until every job is final and return them in the given order.

        :raises TimeoutError: some are still queued or running after ``timeout`` seconds (they are named).
        """
        ids = builtins.list(job_ids)
        deadline = time.monotonic() + timeout
        while True:
            current = [self.get(job_id) for job_id in ids]
            pending = [job for job in current if not job.is_final]
            if not pending:
                return current
            if time.monotonic() >= deadline:
                names = ", ".join(f"{job.id} ({job.status})" for job in pending[:10])
                raise TimeoutError(f"{len(pending)} job(s) not finished after {timeout:g} s: {names}")
            time.sleep(poll)

    # -- workers ------------------------------------------------------------------------------------------------

    def lease(self, worker_id: str, limits: Mapping[str, int] | None = None, default_limit: int = 1,
              lease_seconds: float = 300.0) -> Job | None:
        """Take the next job for ``worker_id``, or ``None`` when there is none it may run now.

        The next job is the one with the highest priority, then the oldest, among queued jobs whose
        ``not_before`` has passed and running jobs whose lease expired (their worker died or hung: event
        ``lease_expired``; ``submit_uncertain`` is kept so the new attempt reconciles first), skipping targets
        that already have as many running jobs with a live lease as their limit (``limits[target]``, else
        ``default_limit``; 0 pauses a target). An expired job that was asked to cancel ends ``cancelled``; one
        whose attempts are used up ends ``failed`` with error kind ``worker_lost``.

        The job becomes ``running``, held by ``worker_id`` until ``now + lease_seconds``: the worker must
        :meth:`heartbeat` before then.
        """
        limits = dict(limits or {})
        now = self._clock()
        expires = now + timedelta(seconds=lease_seconds)
        with self.store.begin(write=True) as conn:
            self._lock_leases(conn)
            full = {target for target, n in self._running_counts(conn, now).items()
                    if n >= limits.get(target, default_limit)}
            ready = or_(
                and_(jobs.c.status == Q, or_(jobs.c.not_before.is_(None), jobs.c.not_before <= now)),
                and_(jobs.c.status == R, jobs.c.lease_expires_at <= now),
            )
            query = select(jobs).where(ready)
            if default_limit > 0:
                blocked = full | {target for target, n in limits.items() if n <= 0}
                if blocked:
                    query = query.where(jobs.c.target.not_in(sorted(blocked)))
            else:
                allowed = sorted(target for target, n in limits.items() if n > 0 and target not in full)
                query = query.where(jobs.c.target.in_(allowed))
            query = (query.order_by(jobs.c.priority.desc(), jobs.c.created_at, jobs.c.id).limit(1)
                     .with_for_update(skip_locked=True))
            for _ in range(_MAX_SKIPPED):
                row = conn.execute(query).first()
                if row is None:
                    return None
                taken = self._take(conn, Job.from_row(row), worker_id, now, expires)
                if taken is not None:
                    return taken
        return None

    def lease_job(self, job_id: str, worker_id: str, limits: Mapping[str, int] | None = None,
                  default_limit: int = 1, lease_seconds: float = 300.0) -> LeaseAttempt:
        """Try to take one given job for ``worker_id`` (a task runner that was told "run job J", e.g. Celery).

        The same rules as :meth:`lease`, for this job only, in one transaction: the job is taken when it is
        queued and its ``not_before`` has passed, or running with an expired lease (event ``lease_expired``;
        ``submit_uncertain`` kept), and its target has fewer running jobs with a live lease than its limit
        (``limits[target]``, else ``default_limit``). The limit is counted in the database, so it holds across
        every worker of every runner. Otherwise nothing changes and the answer says why and, when it can, how long
        to wait:

        - ``leased``: the job is ``running`` under ``worker_id`` until ``now + lease_seconds``;
        - ``final``: it already finished (a duplicate or late delivery): nothing to do;
        - ``ended``: its lease had expired and it must not run again (cancel requested, or attempts used up): it
          was ended ``cancelled`` or ``failed`` (``worker_lost``) now;
        - ``held``: another worker holds a live lease (e.g. a message delivered again after a worker died while
          the dead worker's lease still runs); ``retry_in`` is the time until that lease expires;
        - ``not_yet``: queued for a retry after back-off; ``retry_in`` is the time until ``not_before``;
        - ``target_full``: its target has as many running jobs as its limit;
        - ``paused``: its target's limit is 0.

        :raises JobNotFoundError: no such job.
        """
        limits = dict(limits or {})
        now = self._clock()
        with self.store.begin(write=True) as conn:
            self._lock_leases(conn)
            job = self._get(conn, job_id, lock=True)
            if job.is_final:
                return LeaseAttempt(LeaseOutcome.FINAL, job)
            if job.status is JobStatus.RUNNING and job.lease_expires_at is not None and job.lease_expires_at > now:
                return LeaseAttempt(LeaseOutcome.HELD, job, (job.lease_expires_at - now).total_seconds())
            if job.status is JobStatus.QUEUED and job.not_before is not None and job.not_before > now:
                return LeaseAttempt(LeaseOutcome.NOT_YET, job, (job.not_before - now).total_seconds())
            limit = limits.get(job.target, default_limit)
            if limit <= 0:
                return LeaseAttempt(LeaseOutcome.PAUSED, job)
            if self._running_counts(conn, now, job.target).get(job.target, 0) >= limit:
                return LeaseAttempt(LeaseOutcome.TARGET_FULL, job)
            taken = self._take(conn, job, worker_id, now, now + timedelta(seconds=lease_seconds))
            if taken is None:
                return LeaseAttempt(LeaseOutcome.ENDED, self._get(conn, job_id))
            return LeaseAttempt(LeaseOutcome.LEASED, taken)

    def _lock_leases(self, conn: Connection) -> None:
        """Serialise lease transactions, so that the per-target counts they read stay exact until they commit."""
        if self.store.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LEASE_LOCK_KEY})

    def _running_counts(self, conn: Connection, now: datetime, target: str | None = None) -> dict[str, int]:
        """Running jobs with a live lease, per target (of one target only when given)."""
        query = (select(jobs.c.target, func.count())
                 .where(jobs.c.status == R, jobs.c.lease_expires_at > now).group_by(jobs.c.target))
        if target is not None:
            query = query.where(jobs.c.target == target)
        return {target: n for target, n in conn.execute(query)}

    def _take(self, conn: Connection, job: Job, worker_id: str, now: datetime, expires: datetime) -> Job | None:
        """Lease a ready job (queued, or running with an expired lease) to ``worker_id``; ``None`` when it was an
        abandoned job that must not run again and was ended instead."""
        if job.status is JobStatus.RUNNING:
            self._event(conn, job.id, "lease_expired", job.attempts, now, worker=job.lease_owner,
                        expired_at=job.lease_expires_at, submit_uncertain=job.submit_uncertain)
            if self._end_abandoned(conn, job, now):
                return None
        changed = conn.execute(
            update(jobs).where(jobs.c.id == job.id, jobs.c.status == job.status.value).values(
                status=R, lease_owner=worker_id, lease_expires_at=expires, attempts=job.attempts + 1,
                started_at=now, updated_at=now, not_before=None)).rowcount
        if changed != 1:  # pragma: no cover - excluded by the lock; a guard, not a path
            return None
        self._event(conn, job.id, "leased", job.attempts + 1, now, worker=worker_id,
                    lease_expires_at=expires, submit_uncertain=job.submit_uncertain)
        return self._get(conn, job.id)

    def _end_abandoned(self, conn: Connection, job: Job, now: datetime) -> bool:
        """End an expired running job that must not run again; False when it may be re-leased."""
        if job.cancel_requested:
            self._set(conn, job.id, status=JobStatus.CANCELLED.value, finished_at=now, updated_at=now,
                      lease_owner=None, lease_expires_at=None)
            self._event(conn, job.id, "cancelled", job.attempts, now, reason="cancel requested; its worker was lost")
            return True
        if job.attempts >= job.max_attempts:
            message = (f"the worker {job.lease_owner} stopped renewing its lease during attempt {job.attempts} of "
                       f"{job.max_attempts} (it died, hung or lost the database)"
                       + ("; the case may have reached the target: a retry searches for it first"
                          if job.submit_uncertain else ""))
            self._set(conn, job.id, status=JobStatus.FAILED.value, finished_at=now, updated_at=now,
                      lease_owner=None, lease_expires_at=None, error_kind="worker_lost", error_message=message)
            self._event(conn, job.id, "failed", job.attempts, now, error_kind="worker_lost", message=message,
                        exhausted=True)
            return True
        return False

    def heartbeat(self, job_id: str, worker_id: str, lease_seconds: float = 300.0, *,
                  attempt: int | None = None) -> Job:
        """Extend the lease to ``now + lease_seconds``; the returned job tells whether cancel was requested.

        :raises LeaseLostError: the worker no longer holds the job (the lease expired and another worker took
            it, or it was handed back). The worker must stop working on it.
        """
        now = self._clock()
        with self.store.begin(write=True) as conn:
            self._held(conn, job_id, worker_id, attempt)
            self._set(conn, job_id, lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
            return self._get(conn, job_id)

    def mark_submitting(self, job_id: str, worker_id: str, *, attempt: int | None = None) -> Job:
        """Persist ``submit_uncertain`` before an action that may submit to the target (its own transaction).

        :raises LeaseLostError: the worker no longer holds the job: it must not submit.
        """
        now = self._clock()
        with self.store.begin(write=True) as conn:
            job = self._held(conn, job_id, worker_id, attempt)
            self._set(conn, job_id, submit_uncertain=True, updated_at=now)
            self._event(conn, job_id, "submitting", job.attempts, now, worker=worker_id)
            audit_append(conn, "robot_submitted", actor=f"robot:{job.robot}", case_id=job.case_id, at=now,
                         detail={"job": job_id, "attempt": job.attempts, "target": job.target, "worker": worker_id})
            return self._get(conn, job_id)

    def add_event(self, job_id: str, event: str, attempt: int, detail: Mapping[str, Any] | None = None) -> None:
        """Append an event of the executor's own to the job's history.

        :raises JobError: an event name longer than 64 characters.
        """
        if not isinstance(event, str) or not event.strip() or len(event) > 64:
            raise JobError(f"a job event is named by 1-64 characters, got {event!r}")
        now = self._clock()
        with self.store.begin(write=True) as conn:
            self._get(conn, job_id)
            self._event(conn, job_id, event, attempt, now, **dict(detail or {}))

    def finish(self, job_id: str, worker_id: str, result: ExecutionResult, *, attempt: int | None = None) -> Job:
        """Record how the worker's attempt ended and move the job on.

        - ``succeeded``: receipt and ``reconciled`` kept, ``submit_uncertain`` cleared.
        - ``needs_review``: final, and a review task with reason ``robot.<error_kind>`` is opened.
        - ``failed``: final.
        - ``retry``: queued again, not before ``now + retry_after`` (or the back-off for the attempts made),
          while attempts remain; else failed with the result's error (event ``failed``, ``exhausted``).

        A job whose cancel was requested while it ran ends ``cancelled`` unless it succeeded. The result's
        artifacts are recorded. An attempt that finishes after its lease expired is accepted as long as no other
        worker took the job.

        :raises LeaseLostError: the worker no longer holds the job; nothing is changed.
        """
        now = self._clock()
        with self.store.begin(write=True) as conn:
            job = self._held(conn, job_id, worker_id, attempt)
            n = job.attempts
            error = {"error_kind": result.error_kind, "error_message": result.message}
            values: dict[str, Any] = {"updated_at": now, "lease_owner": None, "lease_expires_at": None}
            detail: dict[str, Any] = {"worker": worker_id, "result": result.status}
            if result.error_kind or result.message:
                detail.update(error_kind=result.error_kind, message=result.message)
            artifacts = self._add_artifacts(conn, job_id, n, result.artifacts, now)
            if artifacts:
                detail["artifacts"] = len(artifacts)
            if job.cancel_requested and result.status != "succeeded":
                values.update(status=JobStatus.CANCELLED.value, finished_at=now, **error)
                self._event(conn, job_id, "cancelled", n, now, reason="cancel requested while running", **detail)
            elif result.status == "succeeded":
                values.update(status=JobStatus.SUCCEEDED.value, receipt=result.receipt, reconciled=result.reconciled,
                              submit_uncertain=False, error_kind=None, error_message=None, finished_at=now)
                self._event(conn, job_id, "succeeded", n, now, receipt=result.receipt, reconciled=result.reconciled,
                            **detail)
            elif result.status == "needs_review" or (job.submit_uncertain and (
                    result.status == "failed" or (result.status == "retry" and n >= job.max_attempts))):
                # a job that may have submitted and cannot go on is never just "failed": a person checks the target
                uncertain = result.status != "needs_review"
                values.update(status=JobStatus.NEEDS_REVIEW.value, finished_at=now, **error)
                message = result.message or "the robot asks a person to look at this case"
                if uncertain:
                    message = ("the application may have reached the target (a submit's answer was lost) and the "
                               f"robot cannot go on: check the target for it. Last error: {message}")
                task_id = insert_review_task(
                    conn, case_id=job.case_id, job_id=job_id, source="robot",
                    reason="robot.uncertain" if uncertain else f"robot.{result.error_kind or 'unknown'}",
                    message=message, now=now,
                    detail={"robot": job.robot, "target": job.target, "attempt": n, "error_kind": result.error_kind,
                            "group": job.payload.get("group"),
                            "submit_uncertain": job.submit_uncertain, "artifacts": artifacts})
                self._event(conn, job_id, "needs_review", n, now, review_task=task_id, **detail)
            elif result.status == "failed":
                values.update(status=JobStatus.FAILED.value, finished_at=now, **error)
                self._event(conn, job_id, "failed", n, now, **detail)
            elif n < job.max_attempts:
                delay = result.retry_after if result.retry_after is not None else self.backoff(n)
                not_before = now + timedelta(seconds=delay)
                values.update(status=Q, not_before=not_before, **error)
                self._event(conn, job_id, "retry_scheduled", n, now, delay=round(delay, 3), not_before=not_before,
                            **detail)
            else:
                values.update(status=JobStatus.FAILED.value, finished_at=now, **error)
                self._event(conn, job_id, "failed", n, now, exhausted=True, max_attempts=job.max_attempts, **detail)
            self._set(conn, job_id, **values)
            self._audit_outcome(conn, job, values, result, now)
            return self._get(conn, job_id)

    @staticmethod
    def _audit_outcome(conn: Connection, job: Job, values: Mapping[str, Any], result: ExecutionResult,
                       now: datetime) -> None:
        """The case's audit trail learns the receipt, or that the robot could not enter the case (same transaction)."""
        status = values.get("status")
        if job.robot == PROCESS_TASK:  # its success is in the case's intake, extraction and review records
            if status in (JobStatus.FAILED.value, JobStatus.NEEDS_REVIEW.value):
                audit_append(conn, "processing_failed", actor=f"job:{job.id}", case_id=job.case_id, at=now,
                             detail={"job": job.id, "status": status, "error_kind": result.error_kind,
                                     "message": result.message})
            return
        if status == JobStatus.SUCCEEDED.value:
            audit_append(conn, "robot_receipt", actor=f"robot:{job.robot}", case_id=job.case_id, at=now,
                         detail={"job": job.id, "receipt": result.receipt, "reconciled": result.reconciled,
                                 "target": job.target})
        elif status in (JobStatus.FAILED.value, JobStatus.NEEDS_REVIEW.value):
            audit_append(conn, "robot_failed", actor=f"robot:{job.robot}", case_id=job.case_id, at=now,
                         detail={"job": job.id, "status": status, "error_kind": result.error_kind,
                                 "message": result.message, "target": job.target})

    def release(self, job_id: str, worker_id: str, *, attempt: int | None = None,
                reason: str = "the worker is stopping") -> Job:
        """Hand a running job back (its worker is shutting down): queued again, the attempt not counted.

        ``submit_uncertain`` is kept. A job asked to cancel ends ``cancelled`` instead.

        :raises LeaseLostError: the worker no longer holds the job.
        """
        now = self._clock()
        with self.store.begin(write=True) as conn:
            job = self._held(conn, job_id, worker_id, attempt)
            base: dict[str, Any] = {"updated_at": now, "lease_owner": None, "lease_expires_at": None}
            if job.cancel_requested:
                self._set(conn, job_id, status=JobStatus.CANCELLED.value, finished_at=now, **base)
                self._event(conn, job_id, "cancelled", job.attempts, now, worker=worker_id,
                            reason=f"cancel requested; handed back: {reason}")
            else:
                self._set(conn, job_id, status=Q, attempts=max(job.attempts - 1, 0), not_before=None, **base)
                self._event(conn, job_id, "released", job.attempts, now, worker=worker_id, reason=reason,
                            submit_uncertain=job.submit_uncertain)
            return self._get(conn, job_id)

    # -- operations ---------------------------------------------------------------------------------------------

    def retry(self, job_id: str) -> Job:
        """Queue a failed, needs-review or cancelled job again (ops), allowing at least one more attempt.

        The previous error stays in the job's events (``retried``); the job's open review tasks are closed.

        :raises JobNotFoundError: no such job.
        :raises JobStateError: the job is queued, running or succeeded.
        """
        now = self._clock()
        with self.store.begin(write=True) as conn:
            job = self._get(conn, job_id, lock=True)
            if job.status is JobStatus.SUCCEEDED:
                raise JobStateError(job_id, job.status, f"it has the receipt {job.receipt!r} and is never run again; "
                                    "to enter the case once more, submit a new job with another key")
            if not job.is_final:
                raise JobStateError(job_id, job.status, "only failed, needs_review or cancelled jobs can be retried; "
                                    "wait for it to finish, or cancel it first")
            max_attempts = max(job.max_attempts, job.attempts + 1)
            self._set(conn, job_id, status=Q, max_attempts=max_attempts, not_before=None, finished_at=None,
                      cancel_requested=False, error_kind=None, error_message=None, updated_at=now)
            closed = conn.execute(update(review_tasks).where(review_tasks.c.job_id == job_id,
                                                             review_tasks.c.status == "open")
                                  .values(status="closed")).rowcount
            self._event(conn, job_id, "retried", job.attempts, now, previous_status=job.status.value,
                        error_kind=job.error_kind, message=job.error_message, max_attempts=max_attempts,
                        review_tasks_closed=closed)
            return self._get(conn, job_id)

    def cancel(self, job_id: str) -> Job:
        """Cancel a job: a queued one at once; a running one is asked to stop (``cancel_requested``) and ends
        ``cancelled`` when its attempt ends, unless that attempt succeeded.

        :raises JobNotFoundError: no such job.
        :raises JobStateError: the job already finished.
        """
        now = self._clock()
        with self.store.begin(write=True) as conn:
            job = self._get(conn, job_id, lock=True)
            if job.status is JobStatus.QUEUED:
                self._set(conn, job_id, status=JobStatus.CANCELLED.value, finished_at=now, updated_at=now)
                self._event(conn, job_id, "cancelled", job.attempts, now, reason="cancelled while queued")
            elif job.status is JobStatus.RUNNING:
                if not job.cancel_requested:
                    self._set(conn, job_id, cancel_requested=True, updated_at=now)
                    self._event(conn, job_id, "cancel_requested", job.attempts, now, worker=job.lease_owner)
            else:
                hint = ("`govauto jobs retry` queues it again" if job.status is not JobStatus.SUCCEEDED
                        else "it succeeded; nothing runs any more")
                raise JobStateError(job_id, job.status, f"a finished job cannot be cancelled ({hint})")
            return self._get(conn, job_id)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after ``attempts`` attempts: ``base * 2**(attempts-1)``, capped, times 0.5-1.0."""
        delay = min(self.backoff_cap, self.backoff_base * 2.0 ** max(attempts - 1, 0))
        return delay * (0.5 + 0.5 * self._rng.random())

    # -- internals ----------------------------------------------------------------------------------------------

    def _by_key(self, key: str) -> Job | None:
        with self.store.begin() as conn:
            row = conn.execute(select(jobs).where(jobs.c.key == key)).first()
        return None if row is None else Job.from_row(row)

    def _get(self, conn: Connection, job_id: str, *, lock: bool = False) -> Job:
        query = select(jobs).where(jobs.c.id == job_id)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            raise JobNotFoundError(job_id)
        return Job.from_row(row)

    def _held(self, conn: Connection, job_id: str, worker_id: str, attempt: int | None) -> Job:
        job = self._get(conn, job_id, lock=True)
        if job.status is not JobStatus.RUNNING:
            raise LeaseLostError(job_id, worker_id, f"the job is {job.status} now")
        if job.lease_owner != worker_id:
            raise LeaseLostError(job_id, worker_id, f"it is held by {job.lease_owner}")
        if attempt is not None and job.attempts != attempt:
            raise LeaseLostError(job_id, worker_id, f"it is in attempt {job.attempts}, not {attempt}")
        return job

    def _set(self, conn: Connection, job_id: str, **values: Any) -> None:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))

    def _event(self, conn: Connection, job_id: str, event: str, attempt: int, now: datetime,
               **detail: Any) -> None:
        clean = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in detail.items() if v is not None}
        conn.execute(job_events.insert().values(job_id=job_id, ts=now, event=event, attempt=attempt, detail=clean))

    def _add_artifacts(self, conn: Connection, job_id: str, attempt: int,
                       artifacts: Iterable[tuple[str, Path]], now: datetime) -> builtins.list[dict[str, Any]]:
        recorded = []
        for kind, path in artifacts:
            file = Path(path)
            size = file.stat().st_size if file.is_file() else None
            location = str(file.resolve()) if file.exists() else str(file)
            conn.execute(job_artifacts.insert().values(job_id=job_id, attempt=attempt, kind=kind, path=location,
                                                       bytes=size, created_at=now))
            recorded.append({"kind": kind, "path": location, "bytes": size})
        return recorded

