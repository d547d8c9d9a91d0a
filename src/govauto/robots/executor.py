"""The job executor that runs robots: one browser per worker process, robots from the installed plugins.

``govauto worker`` builds one :class:`RobotExecutor` per worker process (its default ``--executor``). Each job's
payload holds the validated case and the directory its material paths start from
(:func:`govauto.robots.enqueue.submit_case` writes it).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from govauto.errors import CaseError, FormMapError, GovautoError, PluginError, RobotConfigError, UnknownMatterError
from govauto.jobs.model import ExecutionResult, Job, JobContext
from govauto.privacy import mask_id_numbers
from govauto.robots.browser import BrowserHost
from govauto.robots.runner import RetryPolicy, run_robot
from govauto.runtime import Runtime

if TYPE_CHECKING:
    from govauto.model import CaseEnvelope

log = logging.getLogger(__name__)


class RobotExecutor:
    """Runs each job's robot against its target (a :class:`govauto.jobs.model.JobExecutor`).

    :param runtime: where robots and matters come from (default: a :class:`~govauto.Runtime` with the installed
        plugins).
    :param policy: the retry policy within one attempt (default :meth:`RetryPolicy.from_env`).
    :param trace: record Playwright traces (kept on failure only); default on, ``GOVAUTO_ROBOT_TRACE=0`` turns
        them off.
    :param headless: run Chromium without a window (the default; there is no screen on servers).
    """

    def __init__(self, runtime: Runtime | None = None, policy: RetryPolicy | None = None, trace: bool | None = None,
                 headless: bool = True) -> None:
        self.runtime = runtime or Runtime()
        self.policy = policy or RetryPolicy.from_env()
        self.trace = os.environ.get("GOVAUTO_ROBOT_TRACE", "1") != "0" if trace is None else trace
        self.host = BrowserHost(headless=headless)

    def execute(self, ctx: JobContext) -> ExecutionResult:
        job = ctx.job
        try:
            robot = self.runtime.robot(job.robot)
        except (RobotConfigError, FormMapError, PluginError) as exc:
            return ExecutionResult("failed", error_kind="config", message=str(exc))
        payload = job.payload
        try:
            case = self.runtime.load_case(payload["case"])
            facts = self.runtime.facts(case)
        except (KeyError, CaseError, UnknownMatterError) as exc:
            return ExecutionResult("failed", error_kind="data",
                                   message=mask_id_numbers(f"the job's case cannot be read: {exc}"))
        try:
            browser = self.host.browser()
        except RobotConfigError as exc:
            return ExecutionResult("failed", error_kind=exc.kind, message=str(exc))
        base_dir = Path(str(payload.get("base_dir", ".")))
        try:
            result = run_robot(robot, facts, browser=browser, ctx=ctx, base_dir=base_dir, policy=self.policy,
                               trace=self.trace)
        except GovautoError as exc:
            return ExecutionResult("failed", error_kind=getattr(exc, "kind", "internal"),
                                   message=mask_id_numbers(str(exc)))
        if result.status == "needs_review":
            self._request_review(case, ctx, result)
        return result

    def _request_review(self, case: CaseEnvelope, ctx: JobContext, result: ExecutionResult) -> None:
        """Tell ``govauto_review_requested`` implementations that a person must look (the job store opens the
        task itself when it stores the job's outcome, so the built-in queue does nothing for robot requests)."""
        from govauto.casework import CaseStore
        from govauto.errors import CaseNotFoundError
        from govauto.pipeline import ReviewRequest, review_group

        try:
            version = CaseStore(ctx.store).get(case.case_id).version
        except CaseNotFoundError:
            version = 0
        request = ReviewRequest(case_id=case.case_id, version=version, matter=case.matter,
                                reasons=(f"robot.{result.error_kind or 'unknown'}",), findings=(),
                                group=review_group(case), store=ctx.store, source="robot",
                                message=result.message or "", submitted_at=case.submitted_at)
        try:
            self.runtime.plugin_manager.hook.govauto_review_requested(case=case, task=request)
        except Exception:  # a plugin's failure must not lose the job's outcome
            log.exception("job %s: a govauto_review_requested implementation failed", ctx.job.id)

    def close(self) -> None:
        self.host.close()


_notify_runtime: Runtime | None = None


def notify_job_failed(job: Job) -> None:
    """Call the ``govauto_job_failed`` hook of the installed plugins for a job that failed or needs a person.

    ``govauto worker`` passes this as the runner's ``notify``; one runtime per worker process.
    """
    global _notify_runtime
    if _notify_runtime is None:
        _notify_runtime = Runtime()
    message = mask_id_numbers(job.error_message or job.error_kind or job.status)
    _notify_runtime.plugin_manager.hook.govauto_job_failed(job=job, error=message)
