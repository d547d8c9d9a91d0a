"""Running jobs: a worker loop, and a local runner that keeps several worker processes going.

A worker leases a job, hands it to its executor, keeps the lease alive from a heartbeat thread while the
executor works, and records the result; then the next job. Everything the workers share is in the database, so
the per-target limits hold across processes, and a job whose worker died is taken up again when its lease
expires: no job is ever lost.

:class:`LocalRunner` runs ``concurrency`` workers as processes on this machine (``spawn``, not ``fork``:
Playwright must not be forked), each with one executor built once by its factory. :func:`run_worker` is the loop
of one worker in the current process. Any :class:`JobRunner` (later: Celery) runs the same jobs.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import secrets
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.context import SpawnContext, SpawnProcess
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from govauto.errors import ExecutorLoadError, GovautoError, JobError, LeaseLostError, StoreError
from govauto.jobs._imports import load_callable
from govauto.jobs.model import ExecutionResult, Job, JobContext, JobExecutor, JobStatus
from govauto.jobs.queue import JobQueue
from govauto.privacy import MaskingFilter, mask_id_numbers
from govauto.reload import watch_executor
from govauto.store import home_dir, open_store

__all__ = [
    "DEFAULT_EXECUTOR",
    "JobRunner",
    "LocalRunner",
    "StopFlag",
    "configure_worker_logging",
    "default_worker_id",
    "run_worker",
]

log = logging.getLogger("govauto.jobs")

DEFAULT_EXECUTOR = "govauto.jobs.routing:ExecutorRouter"
"""The executor a worker builds when none is named: processing jobs to the pipeline's executor, robot jobs to the
robots' Playwright executor (:class:`govauto.jobs.routing.ExecutorRouter`). Until 0.3.0 it was the robots' executor
alone, which is still what every robot job gets."""

EXIT_EXECUTOR = 3
"""A worker process's exit code when it could not build its executor (the runner stops; no restart)."""
EXIT_HARD_STOP = 4
"""A worker process's exit code when it was told to stop at once and handed its job back."""

_FAST_CRASH_SECONDS = 10.0
_MAX_FAST_CRASHES = 5


class JobRunner(Protocol):
    """Runs jobs until stopped (or, draining, until none is queued or running)."""

    def run(self) -> None:
        """Run jobs; return when stopped or drained."""

    def stop(self) -> None:
        """Ask the runner to stop: no new job is taken and current ones finish. A second call stops at once,
        handing current jobs back."""


class StopFlag(Protocol):
    """What tells a worker to stop taking jobs: a ``threading.Event`` or a ``multiprocessing`` one."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class _HardStop(BaseException):
    """Raised in a worker process by SIGTERM: stop now, hand the current job back."""


def _say(level: int, message: str, *args: object) -> None:
    if log.isEnabledFor(level):
        log.log(level, "%s", mask_id_numbers(message % args if args else message))


def default_worker_id() -> str:
    """``host:pid:random``: unique among live workers, and readable in ``govauto jobs show``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


def configure_worker_logging(level: int = logging.INFO) -> None:
    """Log to stderr, with process names and ID numbers masked (worker processes and ``govauto worker``); once."""
    root = logging.getLogger()
    root.setLevel(level)
    if any(getattr(h, "_govauto_worker", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler._govauto_worker = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(processName)s] %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root.addHandler(handler)


class _Heartbeat(threading.Thread):
    """Extends the lease every ``interval`` seconds until stopped or the lease is lost."""

    def __init__(self, ctx: JobContext, interval: float) -> None:
        super().__init__(name=f"heartbeat-{ctx.job.id}", daemon=True)
        self._ctx = ctx
        self._interval = interval
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self._interval):
            try:
                self._ctx.heartbeat()
            except LeaseLostError as error:
                _say(logging.WARNING, "%s", error)
                return
            except GovautoError as error:
                _say(logging.WARNING, "job %s: could not extend the lease (will try again): %s", self._ctx.job.id,
                     error)

    def stop(self) -> None:
        self._done.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout=self._interval + 1.0)


def _call_executor(executor: JobExecutor, ctx: JobContext) -> ExecutionResult:
    try:
        result = executor.execute(ctx)
    except LeaseLostError:
        raise
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        try:
            ctx.event("exception", type=type(error).__name__, message=str(error), traceback=traceback.format_exc())
        except GovautoError:
            pass
        return ExecutionResult("failed", error_kind="internal", message=message)
    if not isinstance(result, ExecutionResult):
        return ExecutionResult("failed", error_kind="internal",
                               message=f"the executor returned a {type(result).__name__}, not an ExecutionResult")
    return result


def _run_one(queue: JobQueue, executor: JobExecutor, job: Job, worker_id: str, artifacts_root: Path,
             lease_seconds: float, notify: Callable[[Job], object] | None) -> Job | None:
    ctx = JobContext(queue, job, worker_id, artifacts_root, lease_seconds)
    _say(logging.INFO, "job %s (case %s, %s → %s): attempt %d of %d started%s", job.id, job.case_id, job.robot,
         job.target, job.attempts, job.max_attempts, ", reconciling first" if job.submit_uncertain else "")
    beat = _Heartbeat(ctx, max(lease_seconds / 3.0, 0.05))
    beat.start()
    try:
        result = _call_executor(executor, ctx)
    except LeaseLostError as error:
        _say(logging.WARNING, "%s", error)
        return None
    except BaseException:
        beat.stop()
        try:
            queue.release(job.id, worker_id, attempt=ctx.attempt, reason="the worker was stopped during the attempt")
            _say(logging.WARNING, "job %s: handed back (the worker was stopped during attempt %d)", job.id,
                 ctx.attempt)
        except GovautoError as error:
            _say(logging.WARNING, "job %s: could not hand it back (%s); it will be taken up when its lease "
                 "expires", job.id, error)
        raise
    finally:
        beat.stop()
    try:
        final = queue.finish(job.id, worker_id, result, attempt=ctx.attempt)
    except LeaseLostError as error:
        _say(logging.WARNING, "%s", error)
        return None
    except StoreError as error:
        _say(logging.ERROR, "job %s: the result (%s) could not be recorded: %s; the job will run again when its "
             "lease expires", job.id, result.status, error)
        return None
    detail = final.receipt if final.status is JobStatus.SUCCEEDED else f"{final.error_kind}: {final.error_message}"
    _say(logging.INFO, "job %s: attempt %d → %s (%s)", job.id, ctx.attempt, final.status, detail)
    if notify is not None and final.status in (JobStatus.FAILED, JobStatus.NEEDS_REVIEW):
        try:
            notify(final)
        except Exception:
            _say(logging.ERROR, "job %s: the notify hook failed (the job is recorded as %s):\n%s", job.id,
                 final.status, traceback.format_exc())
    return final


def _drained(queue: JobQueue, limits: Mapping[str, int] | None = None, default_limit: int = 1) -> bool:
    """No job is queued or running that this worker could run (jobs of paused targets, limit 0, do not count)."""
    try:
        pending = queue.pending_by_target()
    except StoreError:
        return False
    limits = limits or {}
    return not any(n and limits.get(target, default_limit) > 0 for target, n in pending.items())


def run_worker(store_url: str, executor_factory: str | Callable[[], JobExecutor], worker_id: str | None = None, *,
               limits: Mapping[str, int] | None = None, default_limit: int = 1, lease_seconds: float = 300.0,
               poll_interval: float = 0.5, artifacts_root: Path | None = None, drain: bool = False,
               stop: StopFlag | None = None, notify: str | Callable[[Job], object] | None = None,
               max_jobs: int | None = None) -> int:
    """Run one worker in this process: lease → execute → finish, one job at a time, until stopped.

    :param store_url: the database URL.
    :param executor_factory: ``"package.module:callable"`` (or the callable), called once with no arguments.
    :param worker_id: how the worker is named in leases; default :func:`default_worker_id`.
    :param limits: per-target concurrency limits, ``default_limit`` for other targets (0 pauses a target).
    :param lease_seconds: how long a lease lasts without a heartbeat; heartbeats come every third of it.
    :param poll_interval: seconds between looks for work when there is none.
    :param artifacts_root: where attempts put their files (default ``$GOVAUTO_HOME/artifacts``).
    :param drain: return once no job is queued or running.
    :param stop: set it to stop after the current job.
    :param notify: ``"module:callable"`` (or the callable) called with the job after a job ends ``failed`` or
        ``needs_review``; its exceptions are logged, never raised.
    :param max_jobs: return after this many attempts.
    :returns: the number of attempts run.
    :raises ExecutorLoadError: the executor (or notify) cannot be imported, or building the executor failed.
    :raises StoreError: the database cannot be opened.

    An exception escaping the executor fails the job with error kind ``internal`` (traceback in its events).
    ``KeyboardInterrupt`` or another ``BaseException`` during an attempt hands the job back, then propagates.
    With ``GOVAUTO_PACK_POLL`` > 0 and an executor with a ``runtime``, changed rule packs are reloaded while the
    worker runs (:func:`govauto.reload.watch_executor`).
    """
    worker_id = worker_id or default_worker_id()
    stop_flag: StopFlag = stop if stop is not None else threading.Event()
    factory = load_callable(executor_factory) if isinstance(executor_factory, str) else executor_factory
    notifier = load_callable(notify, "notify hook") if isinstance(notify, str) else notify
    root = Path(artifacts_root) if artifacts_root is not None else home_dir() / "artifacts"
    store = open_store(store_url)
    queue = JobQueue(store)
    name = executor_factory if isinstance(executor_factory, str) else getattr(factory, "__qualname__", "executor")
    try:
        executor: JobExecutor = factory()
    except Exception as error:
        store.dispose()
        raise ExecutorLoadError(f"executor {name}: building it failed: {type(error).__name__}: {error}") from error
    _say(logging.INFO, "worker %s: started (executor %s)", worker_id, name)
    pack_watcher = watch_executor(executor)  # reloads changed rule packs when GOVAUTO_PACK_POLL > 0
    done = 0
    try:
        while not stop_flag.is_set() and (max_jobs is None or done < max_jobs):
            try:
                job = queue.lease(worker_id, limits, default_limit, lease_seconds)
            except StoreError as error:
                _say(logging.WARNING, "worker %s: cannot lease (%s); trying again", worker_id, error)
                stop_flag.wait(max(poll_interval, 1.0))
                continue
            if job is None:
                if drain and _drained(queue, limits, default_limit):
                    break
                stop_flag.wait(poll_interval)
                continue
            _run_one(queue, executor, job, worker_id, root, lease_seconds, notifier)
            done += 1
    finally:
        if pack_watcher is not None:
            pack_watcher.stop()
        try:
            executor.close()
        except Exception:
            _say(logging.ERROR, "worker %s: closing the executor failed:\n%s", worker_id, traceback.format_exc())
        store.dispose()
        _say(logging.INFO, "worker %s: stopped after %d attempt(s)", worker_id, done)
    return done


# -- worker processes -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _WorkerConfig:
    store_url: str
    executor_factory: str
    limits: dict[str, int]
    default_limit: int
    lease_seconds: float
    poll_interval: float
    artifacts_root: str
    drain: bool
    notify: str | None
    log_level: int


class _StopOrOrphaned:
    """The runner's stop event, also set when the runner process is gone (a worker never outlives it)."""

    def __init__(self, event: StopFlag) -> None:
        self._event = event
        self._parent = multiprocessing.parent_process()

    def is_set(self) -> bool:
        return self._event.is_set() or (self._parent is not None and not self._parent.is_alive())

    def wait(self, timeout: float | None = None) -> bool:
        self._event.wait(timeout)
        return self.is_set()


def _raise_hard_stop(signum: int, frame: FrameType | None) -> None:
    raise _HardStop()


def _worker_process_main(config: _WorkerConfig, stop_event: StopFlag) -> None:
    """Entry point of a worker process (spawned: it starts from a fresh interpreter)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the runner decides
    signal.signal(signal.SIGTERM, _raise_hard_stop)
    configure_worker_logging(config.log_level)
    try:
        run_worker(config.store_url, config.executor_factory, default_worker_id(), limits=config.limits,
                   default_limit=config.default_limit, lease_seconds=config.lease_seconds,
                   poll_interval=config.poll_interval, artifacts_root=Path(config.artifacts_root),
                   drain=config.drain, stop=_StopOrOrphaned(stop_event), notify=config.notify)
    except ExecutorLoadError as error:
        _say(logging.ERROR, "%s", error)
        raise SystemExit(EXIT_EXECUTOR) from None
    except _HardStop:
        raise SystemExit(EXIT_HARD_STOP) from None


@dataclass
class _Slot:
    index: int
    process: SpawnProcess
    started: float
    fast_crashes: int = 0


@dataclass
class LocalRunner:
    """Run jobs in ``concurrency`` worker processes on this machine.

    :param store_url: the database URL (every worker opens it).
    :param executor_factory: ``"package.module:callable"`` building one executor per worker process.
    :param concurrency: the number of worker processes.
    :param limits: per-target concurrency limits (across all workers, and other runners on the same database);
        ``default_limit`` for targets not named.
    :param lease_seconds: a job whose worker stops heartbeating for this long is taken up by another worker.
    :param poll_interval: seconds between looks for work when there is none.
    :param artifacts_root: where attempts put their files (default ``$GOVAUTO_HOME/artifacts``).
    :param drain: return once no job is queued or running.
    :param on_progress: called about every ``poll_interval`` (at most every 0.5 s) with the job counts by status.
    :param notify: ``"module:callable"`` called with each job that ends ``failed`` or ``needs_review``.
    :param grace_seconds: after a first stop (SIGTERM, SIGINT or :meth:`stop`), how long current jobs may take
        to finish before workers are told to hand them back and exit.
    :param kill_seconds: how long a worker told to exit may take before it is killed (its job is then recovered
        when its lease expires).

    A worker process that dies is replaced; one that cannot build its executor stops the runner, which raises
    :class:`~govauto.errors.ExecutorLoadError`.
    """

    store_url: str
    executor_factory: str
    concurrency: int = 1
    limits: Mapping[str, int] = field(default_factory=dict)
    default_limit: int = 1
    lease_seconds: float = 300.0
    poll_interval: float = 0.5
    artifacts_root: Path | None = None
    drain: bool = False
    on_progress: Callable[[dict[str, int]], None] | None = None
    notify: str | None = None
    grace_seconds: float = 30.0
    kill_seconds: float = 10.0
    log_level: int = logging.INFO
    _stop_requests: int = field(default=0, init=False, repr=False)

    def stop(self) -> None:
        """First call: stop taking jobs, let current ones finish. Second call: hand them back now.

        Safe to call from a signal handler or another thread: it only counts the request; :meth:`run` acts on it.
        """
        self._stop_requests += 1

    def run(self) -> None:
        """Start the workers and supervise them until stopped (or drained); see the class docstring.

        SIGTERM and SIGINT call :meth:`stop` while this runs (when it runs in the main thread).

        :raises ExecutorLoadError: the executor or notify path is wrong, or the workers cannot build it.
        :raises StoreError: the database cannot be opened.
        :raises JobError: worker processes keep dying right after they start.
        """
        if self.concurrency < 1:
            raise JobError(f"concurrency must be at least 1, got {self.concurrency}")
        load_callable(self.executor_factory)  # fail here, with a clear message, rather than in every worker
        if self.notify is not None:
            load_callable(self.notify, "notify hook")
        store = open_store(self.store_url)
        queue = JobQueue(store)
        config = _WorkerConfig(
            store_url=store.connect_url, executor_factory=self.executor_factory, limits=dict(self.limits),
            default_limit=self.default_limit, lease_seconds=self.lease_seconds, poll_interval=self.poll_interval,
            artifacts_root=str(Path(self.artifacts_root or home_dir() / "artifacts").absolute()), drain=self.drain,
            notify=self.notify, log_level=self.log_level)
        context = multiprocessing.get_context("spawn")
        stop_event = context.Event()
        previous = self._install_signal_handlers()
        slots: list[_Slot | None] = []
        failure: GovautoError | None = None
        try:
            slots = [self._spawn(context, i, config, stop_event) for i in range(self.concurrency)]
            failure = self._supervise(context, config, stop_event, slots, queue)
        finally:
            stop_event.set()
            self._shutdown([s for s in slots if s is not None])
            self._restore_signal_handlers(previous)
            self._report(queue)
            store.dispose()
        if failure is not None:
            raise failure

    # -- supervision ----------------------------------------------------------------------------------------------

    def _supervise(self, context: SpawnContext, config: _WorkerConfig, stop_event: Any,
                   slots: list[_Slot | None], queue: JobQueue) -> GovautoError | None:
        tick = max(min(self.poll_interval, 0.5), 0.05)
        seen = 0
        stopping_since: float | None = None
        terminated_at: float | None = None
        failure: GovautoError | None = None
        while True:
            if self._stop_requests > seen:
                if seen == 0:
                    stop_event.set()
                    stopping_since = time.monotonic()
                    _say(logging.WARNING, "stopping: no new jobs; waiting up to %g s for running jobs to finish "
                         "(stop again to hand them back now)", self.grace_seconds)
                seen = self._stop_requests
            now = time.monotonic()
            if stopping_since is not None and terminated_at is None and (
                    seen >= 2 or now - stopping_since >= self.grace_seconds):
                _say(logging.WARNING, "stopping now: workers hand their jobs back")
                for slot in slots:
                    if slot is not None and slot.process.is_alive():
                        slot.process.terminate()
                terminated_at = now
            if terminated_at is not None and now - terminated_at >= self.kill_seconds:
                for slot in slots:
                    if slot is not None and slot.process.is_alive():
                        _say(logging.ERROR, "worker %s did not exit: killed (its job is recovered when its lease "
                             "expires)", slot.process.name)
                        slot.process.kill()
            self._report(queue)
            for i, slot in enumerate(slots):
                if slot is None or slot.process.is_alive():
                    continue
                slot.process.join()
                code = slot.process.exitcode
                slots[i] = None
                if code == EXIT_EXECUTOR:
                    failure = failure or ExecutorLoadError(
                        f"the worker processes could not build the executor {self.executor_factory} (see the log "
                        "above); fix it or pass another with --executor")
                    if self._stop_requests == 0:
                        self.stop()
                elif stopping_since is not None or failure is not None or (self.drain and code == 0):
                    continue
                else:
                    lived = time.monotonic() - slot.started
                    fast = slot.fast_crashes + 1 if lived < _FAST_CRASH_SECONDS else 0
                    if fast > _MAX_FAST_CRASHES:
                        failure = JobError(f"worker processes keep dying right after they start (last exit code "
                                           f"{code}); see the log above")
                        self.stop()
                        continue
                    _say(logging.WARNING, "worker %s exited with code %s; starting a new one (its job, if any, is "
                         "taken up again when its lease expires)", slot.process.name, code)
                    slots[i] = self._spawn(context, slot.index, config, stop_event, fast)
            live = [slot.process.sentinel for slot in slots if slot is not None]
            if not live:
                return failure
            multiprocessing.connection.wait(live, timeout=tick)

    def _spawn(self, context: SpawnContext, index: int, config: _WorkerConfig, stop_event: Any,
               fast_crashes: int = 0) -> _Slot:
        process = context.Process(target=_worker_process_main, args=(config, stop_event),
                                  name=f"govauto-worker-{index + 1}", daemon=False)
        process.start()
        return _Slot(index, process, time.monotonic(), fast_crashes)

    def _shutdown(self, slots: list[_Slot]) -> None:
        deadline = time.monotonic() + self.kill_seconds
        for slot in slots:
            slot.process.join(timeout=max(deadline - time.monotonic(), 0.1))
        for slot in slots:
            if slot.process.is_alive():
                slot.process.terminate()
                slot.process.join(timeout=self.kill_seconds)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()

    def _report(self, queue: JobQueue) -> None:
        if self.on_progress is None:
            return
        try:
            counts = queue.counts()
        except StoreError as error:
            _say(logging.WARNING, "cannot read the job counts: %s", error)
            return
        self.on_progress(counts)

    # -- signals --------------------------------------------------------------------------------------------------

    def _install_signal_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}

        def handler(signum: int, frame: FrameType | None) -> None:
            self.stop()

        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, handler)
        return previous

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, Any]) -> None:
        for signum, old in previous.items():
            signal.signal(signum, old)
