"""Extraction and review as jobs: a case's materials read (OCR included) and reviewed by a worker, not the caller.

Reading scans is the slow part of the pipeline (seconds per page); a portal that takes in thousands of
applications a day queues them and lets workers on several machines do it::

    from govauto.pipeline_executor import submit_processing

    job, created = submit_processing(JobQueue(store), runtime, "cases/c1/case.yaml")
    # a worker (govauto worker, or a Celery worker) runs govauto.pipeline.process_case on it

A processing job's ``robot`` is :data:`PROCESS_TASK` and its ``target`` :data:`PROCESS_TARGET`, so its
concurrency is limited like any target's (``--limit extraction=4``). It succeeds with the receipt
``<case id>/v<version>``; an approved case's robot job is queued by the same job, in the same store.

:class:`govauto.jobs.routing.ExecutorRouter` sends processing jobs to :class:`PipelineExecutor` and every other
job to :class:`~govauto.robots.executor.RobotExecutor`, both with one runtime (so a reloaded rule pack applies to
both).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govauto.errors import CaseError, CaseNotFoundError, GovautoError, StoreError, UnknownMatterError
from govauto.jobs.model import PROCESS_TASK, ExecutionResult, Job, JobContext
from govauto.privacy import mask_id_numbers
from govauto.runtime import CaseInput, Runtime

if TYPE_CHECKING:
    from govauto.casework.cases import CaseRecord
    from govauto.jobs.queue import JobQueue
    from govauto.model import CaseEnvelope

__all__ = ["PROCESS_TARGET", "PROCESS_TASK", "PipelineExecutor", "submit_processing"]

log = logging.getLogger(__name__)

PROCESS_TARGET = "extraction"
"""The ``target`` of processing jobs: the concurrency group of extraction work (``--limit extraction=N``)."""


def _content_digest(case_json: dict[str, Any], base_dir: str) -> str:
    canonical = json.dumps({"case": case_json, "base_dir": base_dir}, ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


def submit_processing(queue: JobQueue, runtime: Runtime, case: CaseInput, *, base_dir: Path | str | None = None,
                      actor: str = "portal", max_attempts: int = 3, priority: int = 0) -> tuple[Job, bool]:
    """Queue a job that takes ``case`` through extraction and review (:func:`govauto.pipeline.process_case`).

    The same submission (same case content, same base directory) queued twice gives one job; a changed
    submission of the same case id gives a new job (and, when it runs, the case's next version).

    :param case: a case file, mapping or validated case (validated against its contract here, so a case that
        does not fit is refused now, not in a worker).
    :param base_dir: where its relative material paths start (default: the case file's directory). Workers on
        other machines must see the materials at the same path (a shared volume).
    :param actor: who submitted it (recorded in the audit trail when the job takes it in).
    :returns: the job and whether it was created now.
    :raises CaseError: when the case does not fit its contract.
    """
    valid = runtime.load_case(case)
    if base_dir is None:
        base_dir = Path(case).parent if isinstance(case, (str, Path)) else Path(".")
    base = str(Path(base_dir).resolve())
    case_json = valid.model_dump(mode="json")
    from govauto.pipeline import review_group

    payload = {"case": case_json, "base_dir": base, "actor": actor, "group": review_group(valid)}
    key = f"{PROCESS_TASK}:{valid.case_id}:{_content_digest(case_json, base)}"
    return queue.submit(PROCESS_TASK, PROCESS_TARGET, valid.case_id, payload, key=key, max_attempts=max_attempts,
                        priority=priority)


class PipelineExecutor:
    """Runs processing jobs (a :class:`~govauto.jobs.model.JobExecutor`): intake, extraction, review, and the
    outcome's action (robot job, notice, or a review task), all recorded in the job's store.

    A job taken over after its worker died does not take the case in twice: when this job already stored a
    version of the case (its ``created_by`` is ``job:<id>``), the attempt finishes that version's outcome and
    succeeds with it (``reconciled``).

    :param runtime: where matters, packs and extractors come from (default: the installed plugins).
    """

    def __init__(self, runtime: Runtime | None = None) -> None:
        self.runtime = runtime or Runtime()

    def execute(self, ctx: JobContext) -> ExecutionResult:
        from govauto.pipeline import process_case

        job = ctx.job
        if job.robot != PROCESS_TASK:
            return ExecutionResult("failed", error_kind="config",
                                   message=f"job {job.id} runs {job.robot!r}, not {PROCESS_TASK!r}: the "
                                           "PipelineExecutor only runs processing jobs (run workers with "
                                           "govauto.jobs.routing:ExecutorRouter)")
        payload = job.payload
        actor = f"job:{job.id}"
        try:
            case = self.runtime.load_case(payload["case"])
        except (KeyError, CaseError, UnknownMatterError) as exc:
            return ExecutionResult("failed", error_kind="data",
                                   message=mask_id_numbers(f"the job's case cannot be read: {exc}"))
        base_dir = Path(str(payload.get("base_dir", ".")))
        if not base_dir.is_dir():
            return ExecutionResult("failed", error_kind="data",
                                   message=f"the case's material directory {base_dir} does not exist on this worker "
                                           f"({ctx.worker_id}): workers must see the materials at the same path")
        earlier = self._taken_in_by(ctx, case.case_id, actor)
        if earlier is not None:
            return self._finish_earlier(ctx, earlier, actor)
        try:
            processed = process_case(self.runtime, ctx.store, case, base_dir=base_dir, actor=actor)
        except StoreError as exc:  # the database went away mid-way: try again later (the takeover check above
            return ExecutionResult("retry", error_kind="store", message=str(exc))  # keeps it from doubling)
        except GovautoError as exc:
            return ExecutionResult("failed", error_kind=getattr(exc, "kind", None) or "data",
                                   message=mask_id_numbers(str(exc)))
        ctx.event("processed", version=processed.record.version, outcome=processed.decision.outcome,
                  pack={"id": processed.decision.pack_id, "version": processed.decision.pack_version},
                  robot_job=processed.job_id, tasks=list(processed.task_ids))
        return ExecutionResult("succeeded", receipt=f"{processed.record.case_id}/v{processed.record.version}")

    @staticmethod
    def _taken_in_by(ctx: JobContext, case_id: str, actor: str) -> CaseRecord | None:
        from govauto.casework import CaseStore

        if ctx.attempt <= 1:
            return None
        try:
            versions = CaseStore(ctx.store).versions(case_id)
        except CaseNotFoundError:
            return None
        mine = [record for record in versions if record.created_by == actor]
        return mine[-1] if mine else None

    def _finish_earlier(self, ctx: JobContext, record: CaseRecord, actor: str) -> ExecutionResult:
        """An earlier attempt of this job stored ``record`` and then stopped: complete what it may have left."""
        from govauto.pipeline import act_on_outcome

        outcome = record.machine_outcome
        queued_job: str | None = None
        case = self.runtime.load_case(record.case)
        if record.final_decision is None and outcome in ("approve", "correct", "reject"):
            stated = [f for f in record.machine_decision.get("findings", []) if f.get("outcome") == outcome]
            queued_job, _ = act_on_outcome(self.runtime, ctx.store, case, record, outcome, stated, actor=actor)
        elif outcome == "approve" and record.status == "approved" and self.runtime.robot_for(case.matter):
            queued_job = self._ensure_robot_job(ctx, case, record, actor)
        ctx.event("reconciled", version=record.version, outcome=outcome, completed=record.final_decision is None,
                  robot_job=queued_job)
        return ExecutionResult("succeeded", receipt=f"{record.case_id}/v{record.version}", reconciled=True)

    def _ensure_robot_job(self, ctx: JobContext, case: CaseEnvelope, record: CaseRecord, actor: str) -> str:
        """The approved case's robot job: queued now if the earlier attempt stopped before queuing it."""
        from govauto.audit import AuditTrail
        from govauto.jobs.queue import JobQueue
        from govauto.robots.enqueue import submit_case

        job, created = submit_case(JobQueue(ctx.store), self.runtime, case, base_dir=record.base_dir)
        if created:
            AuditTrail(ctx.store).record("robot_queued", actor=actor, case_id=record.case_id,
                                         case_version=record.version,
                                         detail={"job": job.id, "robot": job.robot, "target": job.target})
        return job.id

    def close(self) -> None:
        """Nothing to release (a runner calls this when the worker stops)."""
