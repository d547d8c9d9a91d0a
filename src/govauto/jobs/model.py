"""What a job is: its status, its record, what an executor gets and reports, and the executor's interface."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from sqlalchemy import Row

from govauto.errors import JobNotFoundError, LeaseLostError
from govauto.store.schema import ARTIFACT_KINDS

if TYPE_CHECKING:
    from govauto.jobs.queue import JobQueue
    from govauto.store import Store

__all__ = [
    "FINAL_STATUSES",
    "PROCESS_TASK",
    "ExecutionResult",
    "Job",
    "JobArtifact",
    "JobContext",
    "JobEvent",
    "JobExecutor",
    "JobStatus",
]

PROCESS_TASK = "pipeline.process"
"""The ``robot`` field of a processing job (extraction and review run by a worker, :mod:`govauto.pipeline_executor`);
every other job's ``robot`` is a robot id."""


class JobStatus(StrEnum):
    """Where a job is in its life. ``succeeded``, ``failed``, ``needs_review`` and ``cancelled`` are final (ops can
    still :meth:`~govauto.jobs.JobQueue.retry` the last three)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"
    CANCELLED = "cancelled"


FINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.NEEDS_REVIEW, JobStatus.CANCELLED})


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class Job:
    """One job, as stored. Times are aware UTC datetimes.

    ``submit_uncertain`` is the crash-safety flag: an attempt set it (``JobContext.mark_submitting``) before the
    action that may submit to the target system, and nothing has yet shown whether the submission arrived. The
    next attempt must then search the target for the application before it submits again; ``reconciled`` says
    the receipt was found that way rather than returned by a submit.
    """

    id: str
    key: str
    robot: str
    target: str
    case_id: str
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    max_attempts: int
    submit_uncertain: bool
    receipt: str | None
    reconciled: bool
    error_kind: str | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    not_before: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    cancel_requested: bool
    priority: int

    @property
    def is_final(self) -> bool:
        """The job will not run again unless ops retry it."""
        return self.status in FINAL_STATUSES

    @classmethod
    def from_row(cls, row: Row[Any]) -> Job:
        m = row._mapping
        return cls(
            id=m["id"], key=m["key"], robot=m["robot"], target=m["target"], case_id=m["case_id"],
            payload=m["payload"], status=JobStatus(m["status"]), attempts=m["attempts"],
            max_attempts=m["max_attempts"], submit_uncertain=bool(m["submit_uncertain"]), receipt=m["receipt"],
            reconciled=bool(m["reconciled"]), error_kind=m["error_kind"], error_message=m["error_message"],
            created_at=m["created_at"], updated_at=m["updated_at"], started_at=m["started_at"],
            finished_at=m["finished_at"], not_before=m["not_before"], lease_owner=m["lease_owner"],
            lease_expires_at=m["lease_expires_at"], cancel_requested=bool(m["cancel_requested"]),
            priority=m["priority"],
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping of every field (times as ISO 8601 strings, status as its value)."""
        data = asdict(self)
        data["status"] = self.status.value
        for name in ("created_at", "updated_at", "started_at", "finished_at", "not_before", "lease_expires_at"):
            data[name] = _iso(data[name])
        return data


@dataclass(frozen=True)
class JobEvent:
    """One line of a job's append-only history."""

    id: int
    job_id: str
    ts: datetime
    event: str
    attempt: int
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: Row[Any]) -> JobEvent:
        m = row._mapping
        return cls(id=m["id"], job_id=m["job_id"], ts=m["ts"], event=m["event"], attempt=m["attempt"],
                   detail=m["detail"])

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "job_id": self.job_id, "ts": self.ts.isoformat(), "event": self.event,
                "attempt": self.attempt, "detail": self.detail}


@dataclass(frozen=True)
class JobArtifact:
    """A file an attempt left behind: a screenshot, the page HTML, a Playwright trace, a log."""

    id: int
    job_id: str
    attempt: int
    kind: str
    path: str
    bytes: int | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> JobArtifact:
        m = row._mapping
        return cls(id=m["id"], job_id=m["job_id"], attempt=m["attempt"], kind=m["kind"], path=m["path"],
                   bytes=m["bytes"], created_at=m["created_at"])

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "job_id": self.job_id, "attempt": self.attempt, "kind": self.kind,
                "path": self.path, "bytes": self.bytes, "created_at": self.created_at.isoformat()}


ResultStatus = Literal["succeeded", "needs_review", "failed", "retry"]


@dataclass(frozen=True)
class ExecutionResult:
    """What an executor reports for one attempt.

    - ``succeeded``: the target accepted the case; ``receipt`` is its number, ``reconciled`` is true when the
      receipt was found by searching the target (a previous attempt's submission had arrived).
    - ``needs_review``: a person must look (e.g. the target's validation refused a field); ``error_kind`` and
      ``message`` say why, and a review task is opened with reason ``robot.<error_kind>``.
    - ``failed``: final, no retry (e.g. the robot is misconfigured).
    - ``retry``: a transient failure (network, time-out, the target is down); the job is queued again after
      ``retry_after`` seconds, or an exponential back-off, until its attempts are used up.

    ``artifacts`` are ``(kind, path)`` pairs, kind one of ``screenshot``, ``html``, ``trace``, ``log``, ``other``.
    """

    status: ResultStatus
    receipt: str | None = None
    reconciled: bool = False
    error_kind: str | None = None
    message: str | None = None
    artifacts: tuple[tuple[str, Path], ...] = field(default=())
    retry_after: float | None = None

    def __post_init__(self) -> None:
        if self.status not in ("succeeded", "needs_review", "failed", "retry"):
            raise ValueError(f"ExecutionResult.status must be succeeded, needs_review, failed or retry, "
                             f"not {self.status!r}")
        for kind, _path in self.artifacts:
            if kind not in ARTIFACT_KINDS:
                raise ValueError(f"artifact kind {kind!r} is not one of {', '.join(ARTIFACT_KINDS)}")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError(f"retry_after must be >= 0 seconds, not {self.retry_after}")
        if self.error_kind is not None and len(self.error_kind) > 94:  # review task reason: robot.<error_kind>
            raise ValueError(f"error_kind has at most 94 characters, got {len(self.error_kind)}: "
                             f"{self.error_kind[:40]!r}…")
        if self.receipt is not None and len(self.receipt) > 255:
            raise ValueError(f"a receipt has at most 255 characters, got {len(self.receipt)}: {self.receipt[:40]!r}…")


class JobContext:
    """One attempt of one job, handed to :meth:`JobExecutor.execute`.

    :ivar job: the job as it was leased (``job.payload`` is what the submitter stored, e.g. the case).
    :ivar attempt: this attempt's number, from 1.
    :ivar artifacts_dir: ``<artifacts_root>/<job id>/attempt-<n>``, created: put screenshots, HTML and traces
        here and list them in the result's ``artifacts``.
    :ivar submit_uncertain: an earlier attempt may have submitted the case and its outcome is unknown: search
        the target for the application before submitting again (the value when the attempt started).
    """

    def __init__(self, queue: JobQueue, job: Job, worker_id: str, artifacts_root: Path,
                 lease_seconds: float = 300.0) -> None:
        self.job = job
        self.attempt = job.attempts
        self.worker_id = worker_id
        self.submit_uncertain = job.submit_uncertain
        self.artifacts_dir = Path(artifacts_root) / job.id / f"attempt-{job.attempts}"
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        self._queue = queue
        self._lease_seconds = lease_seconds
        self._lost: LeaseLostError | None = None
        self._cancel_requested = job.cancel_requested
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"JobContext({self.job.id}, attempt={self.attempt}, worker={self.worker_id!r})"

    @property
    def lease_lost(self) -> bool:
        """Another worker owns the job now (or it was handed back): stop, nothing more will be accepted."""
        return self._lost is not None

    def mark_submitting(self) -> None:
        """Call right before the action that may submit the case to the target.

        Persists ``submit_uncertain`` at once, in its own transaction, so that if this process dies during the
        submission the next attempt knows to search the target first. Records the event ``submitting``.

        :raises LeaseLostError: the lease was lost: do not submit.
        """
        self._raise_if_lost()
        try:
            self._queue.mark_submitting(self.job.id, self.worker_id, attempt=self.attempt)
        except LeaseLostError as error:
            self._lost = error
            raise

    @property
    def store(self) -> Store:
        """The store the job lives in (the executor may record its own data there, e.g. for hooks)."""
        return self._queue.store

    def heartbeat(self) -> None:
        """Extend the lease by the worker's lease time (the runner also does this every third of it).

        :raises LeaseLostError: the lease was taken by another worker or the job was handed back: stop.
        """
        self._raise_if_lost()
        with self._lock:
            try:
                job = self._queue.heartbeat(self.job.id, self.worker_id, self._lease_seconds, attempt=self.attempt)
            except LeaseLostError as error:
                self._lost = error
                raise
        self._cancel_requested = job.cancel_requested

    def cancelled(self) -> bool:
        """Ops asked to cancel the job (or the lease was lost): stop at the next safe point and return a result;
        the job then ends ``cancelled`` unless the result is ``succeeded``."""
        if self._lost is not None:
            return True
        try:
            job = self._queue.get(self.job.id)
        except JobNotFoundError:  # pragma: no cover - jobs are never deleted
            return True
        if job.status is not JobStatus.RUNNING or job.lease_owner != self.worker_id:
            return True
        self._cancel_requested = job.cancel_requested
        return self._cancel_requested

    def event(self, name: str, **detail: Any) -> None:
        """Append an event to the job's history, e.g. ``ctx.event("form_filled", fields=12)``."""
        self._queue.add_event(self.job.id, name, self.attempt, detail)

    def _raise_if_lost(self) -> None:
        if self._lost is not None:
            raise self._lost


class JobExecutor(Protocol):
    """Does one job's work: e.g. a robot that enters the case into a legacy web system.

    A worker process builds one executor (with no arguments, from an import path ``package.module:callable``) and
    uses it for every job it runs, one at a time, in one thread: it may hold one browser for its whole life.
    ``execute`` returns how the attempt ended; an exception escaping it fails the job with error kind
    ``internal``. Before any action that may submit to the target, call ``ctx.mark_submitting()``; when
    ``ctx.submit_uncertain`` is true, search the target for an earlier submission before submitting again.
    ``close`` is called once when the worker stops.
    """

    def execute(self, ctx: JobContext) -> ExecutionResult: ...

    def close(self) -> None: ...
