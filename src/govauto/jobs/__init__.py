"""Robot jobs: persisted, leased by workers, retried, recovered when a worker dies, managed by ops.

::

    from govauto.jobs import JobQueue, LocalRunner
    from govauto.store import open_store

    queue = JobQueue(open_store())
    job, created = queue.submit("sole_proprietor", "amr-portal", case.id, {"case": case_data})
    LocalRunner(queue.store.connect_url, "govauto.robots.executor:RobotExecutor", concurrency=3,
                limits={"amr-portal": 2}, drain=True).run()
    queue.get(job.id).receipt

An executor does a job's work (see :class:`JobExecutor`); the queue and the runners know nothing of what it does.
:class:`LocalRunner` runs workers on this machine; ``govauto.jobs.celery_runner.CeleryRunner`` runs them as Celery
workers on many (``govauto worker --runner celery``), with ``govauto.jobs.dispatch`` sending them the jobs.
"""

from __future__ import annotations

from govauto.jobs.model import (
    FINAL_STATUSES,
    ExecutionResult,
    Job,
    JobArtifact,
    JobContext,
    JobEvent,
    JobExecutor,
    JobStatus,
)
from govauto.jobs.queue import JobQueue, LeaseAttempt, LeaseOutcome
from govauto.jobs.runner import DEFAULT_EXECUTOR, JobRunner, LocalRunner, StopFlag, run_worker

__all__ = [
    "DEFAULT_EXECUTOR",
    "FINAL_STATUSES",
    "ExecutionResult",
    "Job",
    "JobArtifact",
    "JobContext",
    "JobEvent",
    "JobExecutor",
    "JobQueue",
    "JobRunner",
    "JobStatus",
    "LeaseAttempt",
    "LeaseOutcome",
    "LocalRunner",
    "StopFlag",
    "run_worker",
]
