"""Running a robot for one case: retries by error kind, never submitting twice, evidence on failure.

:func:`run_robot` is the same for every robot:

- **Retries** (tenacity): errors a retry can fix (``network``, ``timeout``, ``server_error``, ``session_expired``,
  ``busy``) are tried again with exponential back-off and jitter, logging in again when the session expired.
  Errors it cannot fix are not retried: the target's own validation message (``business``) and a value the case
  lacks or the target cannot hold (``data``) go to a person; a missing element (``selector``), refused
  credentials (``login``) or no browser (``config``) fail the job for ops.
- **Idempotency**: right before the action that may create the application (the map's ``submits: true`` step)
  the job records that its outcome may be uncertain. From then on, and in any later attempt or worker that takes
  the job over, the robot first *searches* the target; if it finds the application it records that receipt
  (``reconciled``) and never submits again.
- **Evidence**: a Playwright trace is recorded for the whole run, with tracing paused while credentials are
  typed, and kept only on failure, with a screenshot and the HTML of the page and of each frame.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from playwright.sync_api import Browser, BrowserContext
from playwright.sync_api import Error as PlaywrightError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from govauto.errors import RobotConfigError, RobotError
from govauto.jobs.model import ExecutionResult, ResultStatus
from govauto.privacy import mask_id_numbers
from govauto.robots.base import EntryContext, Robot
from govauto.robots.browser import USER_AGENT
from govauto.robots.credentials import Credentials, credentials_for
from govauto.robots.session import RobotSession, classify_playwright_error


class RunContext(Protocol):
    """What a robot run needs from its job (``govauto.jobs.JobContext`` is one)."""

    @property
    def submit_uncertain(self) -> bool:
        """Whether an earlier attempt may have submitted the application (then search before submitting)."""

    @property
    def artifacts_dir(self) -> Path:
        """Where this attempt keeps its evidence."""

    def mark_submitting(self) -> None:
        """Persist, before the submit, that the outcome may become uncertain."""

    def event(self, name: str, **detail: Any) -> None:
        """Record what happened (the job's history)."""

    def heartbeat(self) -> None:
        """Tell the job store this run is alive."""


@dataclass
class LocalRunContext:
    """A :class:`RunContext` for running a robot outside the job queue (tests, a one-off run)."""

    artifacts_dir: Path
    submit_uncertain: bool = False
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def mark_submitting(self) -> None:
        self.submit_uncertain = True
        self.events.append(("submitting", {}))

    def event(self, name: str, **detail: Any) -> None:
        self.events.append((name, detail))

    def heartbeat(self) -> None:
        pass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long one job attempt retries the errors a retry can fix."""

    attempts: int = 4
    initial: float = 0.5
    """Seconds before the first retry; doubles each time, up to ``maximum``."""
    maximum: float = 8.0
    jitter: float = 0.5
    deadline: float = 240.0
    """Seconds for all tries of one attempt; the job queue retries later when this runs out."""

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """The default policy, with ``GOVAUTO_ROBOT_ATTEMPTS``, ``GOVAUTO_ROBOT_BACKOFF`` (initial seconds),
        ``GOVAUTO_ROBOT_BACKOFF_MAX`` and ``GOVAUTO_ROBOT_DEADLINE`` when set (worker processes are configured
        through the environment)."""
        env = os.environ
        try:
            return cls(attempts=int(env.get("GOVAUTO_ROBOT_ATTEMPTS", cls.attempts)),
                       initial=float(env.get("GOVAUTO_ROBOT_BACKOFF", cls.initial)),
                       maximum=float(env.get("GOVAUTO_ROBOT_BACKOFF_MAX", cls.maximum)),
                       deadline=float(env.get("GOVAUTO_ROBOT_DEADLINE", cls.deadline)))
        except ValueError as exc:
            raise RobotConfigError(f"a GOVAUTO_ROBOT_* retry setting is not a number: {exc}") from None


class Tracer:
    """A Playwright trace for one run, from the first login on, paused while secrets are typed, kept only when
    asked to (a failed login leaves its screenshot and HTML, not a trace)."""

    def __init__(self, context: BrowserContext, directory: Path, enabled: bool) -> None:
        self.context = context
        self.directory = directory
        self.enabled = enabled
        self.parts: list[Path] = []
        self._recording = False  # starts after the first login: before it there is nothing but the login

    def _start(self) -> None:
        self.context.tracing.start(screenshots=True, snapshots=True, sources=False)
        self._recording = True

    def _save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"trace-{len(self.parts) + 1}.zip"
        self._recording = False
        self.context.tracing.stop(path=path)
        self.parts.append(path)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Record nothing inside (credentials are typed there).

        Tracing is stopped and started again, not cut into chunks: a chunk after the pause would still carry
        the network log of the requests made during it (the login form's POST, with the password)."""
        if self._recording:
            self._save()
        try:
            yield
        finally:
            if self.enabled:
                self._start()

    def finish(self, keep: bool) -> list[Path]:
        """Stop tracing; keep the trace files (returned) or delete them."""
        if not self.enabled:
            return []
        with contextlib.suppress(PlaywrightError):
            if self._recording and keep:
                self._save()
            elif self._recording:
                self._recording = False
                self.context.tracing.stop()
        if not keep:
            for part in self.parts:
                part.unlink(missing_ok=True)
            return []
        return [p for p in self.parts if p.is_file() and p.stat().st_size > 0]


def run_robot(robot: Robot, facts: Mapping[str, Any], *, browser: Browser, ctx: RunContext,
              base_dir: Path | None = None, credentials: Credentials | None = None,
              policy: RetryPolicy | None = None, trace: bool = True) -> ExecutionResult:
    """Enter one case into the robot's target and return the outcome for the job.

    :param robot: the robot (a form map's or a Python one).
    :param facts: the case's facts (:meth:`govauto.Runtime.facts`).
    :param browser: the worker's browser; the run gets its own context (cookies, session) and closes it.
    :param ctx: the job's context: whether an earlier attempt may have submitted, where evidence goes.
    :param base_dir: where the case's relative material paths start.
    :param credentials: the target's credentials (default: looked up by the robot's ``credentials`` name).
    :param policy: retry policy (default :class:`RetryPolicy`).
    :param trace: record a Playwright trace (kept on failure only).
    :returns: ``succeeded`` with the receipt (``reconciled`` when found by a search), ``needs_review`` for the
        target's refusal or bad data, ``retry`` when retries ran out on a transient error, ``failed`` otherwise;
        every result but success carries the error kind, a message (ID numbers masked) and the evidence.
    """
    policy = policy or RetryPolicy()
    base_dir = base_dir or Path(".")
    try:
        creds = credentials or credentials_for(robot.credentials)
    except RobotConfigError as exc:
        return ExecutionResult("failed", error_kind=exc.kind, message=str(exc))
    context = browser.new_context(user_agent=robot.user_agent or USER_AGENT,
                                  locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=False)
    tracer = Tracer(context, ctx.artifacts_dir, trace)
    session = robot.open_session(context.new_page())
    state = {"uncertain": ctx.submit_uncertain, "logged_in": False}

    def mark_submitting() -> None:
        ctx.mark_submitting()
        state["uncertain"] = True

    def attempt() -> tuple[str, bool]:
        session.reset()
        try:
            if not state["logged_in"] or not robot.logged_in(session):
                state["logged_in"] = False
                if session.login_attempted:  # end a session the target may still count before opening another
                    _logout_quietly(robot, session)
                session.reset()
                session.login_attempted = True
                with tracer.paused():
                    robot.login(session, creds)
                state["logged_in"] = True
            if state["uncertain"]:
                ctx.event("reconcile", note="an earlier submit may have reached the target: searching first")
                session.reset()
                receipt = robot.find(session, facts)
                if receipt is not None:
                    return receipt, True
                ctx.event("reconcile_not_found", note="the target does not have it: submitting")
            session.reset()
            return robot.enter(session, EntryContext(facts, base_dir, mark_submitting)), False
        except PlaywrightError as exc:
            raise classify_playwright_error(exc, "driving the browser") from None
        except RobotError as exc:
            if exc.kind == "session_expired":
                state["logged_in"] = False
            raise

    def before_sleep(retry_state: RetryCallState) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        ctx.event("retry", try_number=retry_state.attempt_number, kind=getattr(exc, "kind", "unknown"),
                  message=mask_id_numbers(str(exc)), wait=round(retry_state.upcoming_sleep, 2))
        ctx.heartbeat()

    retrying = Retrying(
        retry=retry_if_exception(lambda e: isinstance(e, RobotError) and e.retryable),
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.deadline),
        wait=wait_exponential_jitter(multiplier=policy.initial, max=policy.maximum, jitter=policy.jitter),
        before_sleep=before_sleep, reraise=True)
    failure: RobotError | None = None
    result: ExecutionResult
    try:
        receipt, reconciled = retrying(attempt)
        result = ExecutionResult("succeeded", receipt=receipt, reconciled=reconciled)
    except RobotError as exc:
        failure = exc
        status: ResultStatus = "retry" if exc.retryable else "needs_review" if exc.to_person else "failed"
        result = ExecutionResult(status, error_kind=exc.kind, message=mask_id_numbers(str(exc)))
    artifacts: list[tuple[str, Path]] = []
    if failure is not None:
        artifacts.extend(session.save_evidence(ctx.artifacts_dir))
    if session.login_attempted:
        session.page.set_default_navigation_timeout(5000)
        _logout_quietly(robot, session)
    artifacts.extend(("trace", path) for path in tracer.finish(keep=failure is not None))
    with contextlib.suppress(PlaywrightError):
        context.close()
    if artifacts:
        result = ExecutionResult(result.status, receipt=result.receipt, reconciled=result.reconciled,
                                 error_kind=result.error_kind, message=result.message, artifacts=tuple(artifacts))
    return result



def _logout_quietly(robot: Robot, session: RobotSession) -> None:
    """Log out, ignoring failures: the target may hold a session for this context (sessions count against its
    limit until they time out)."""
    try:
        robot.logout(session)
    except (RobotError, PlaywrightError):
        pass
    finally:
        session.login_attempted = False
        session.reset()
