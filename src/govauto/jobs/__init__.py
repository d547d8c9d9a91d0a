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
from govauto.jobs.queue import JobQueue
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
    "LocalRunner",
    "StopFlag",
    "run_worker",
]
