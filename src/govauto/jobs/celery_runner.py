"""Running jobs on Celery workers, on as many machines as needed, with the store as the only truth.

Celery carries nothing but "run job J" messages (the task ``govauto.run_job`` with one argument, the job id: no
case data, no personal data in the broker). The job's record in the store says everything else, so
``govauto jobs ...`` works the same whichever runner ran the job, and a message delivered twice, late, or after its
job finished changes nothing:

- a worker receiving "run job J" leases **that** job in the database (:meth:`~govauto.jobs.JobQueue.lease_job`);
  the per-target limit is counted there, across every worker of every runner (Celery's ``rate_limit`` is per
  worker and cannot do it);
- when the target is full, or another worker holds a live lease on the job (a message delivered again after a
  worker died), the task asks Celery to deliver it again after a countdown instead of holding a worker;
- a job already final is left alone (a duplicate delivery);
- the attempt runs with the code :class:`~govauto.jobs.LocalRunner` uses (heartbeat, executor, finish or hand
  back), so retries, back-off, ``needs_review`` and the ``submit_uncertain`` reconciliation are the same.

Messages are sent by the **dispatcher** (:mod:`govauto.jobs.dispatch`) that every worker runs in its main process
(a Celery bootstep; ``dispatch=False`` turns it off): it publishes the queued jobs their targets have room for and
publishes again what a lost message or a dead worker left behind, so a job queued in the store reaches a worker
even when the broker lost its message. Nothing else has to run: one command per machine.

Celery is configured for long jobs: late acknowledgement (``task_acks_late``), re-queueing when a worker process
dies (``task_reject_on_worker_lost``), one message per worker process at a time (``worker_prefetch_multiplier``
1), a broker visibility timeout longer than the longest job (:attr:`CeleryConfig.visibility_timeout`, 2 h by
default), connection retries on start-up, JSON messages only.

Two ways to start a worker::

    govauto worker --runner celery --concurrency 2              # options, like the local runner
    celery -A govauto.jobs.celery_app worker -c 2 -Q robots     # Celery's own command; settings from the environment

Jobs go to a queue by their ``robot``: processing jobs (``pipeline.process``: extraction and review) to
``extraction``, every other (robot) job to ``robots`` (:attr:`CeleryConfig.routes`), so machines with a browser can
take robots and others extraction (``--queues``).
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import random
import re
import signal
import socket
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from govauto.errors import BrokerError, ExecutorLoadError, GovautoError, JobError, StoreError
from govauto.jobs._imports import load_callable
from govauto.jobs.dispatch import Dispatcher, JobMessageHandler
from govauto.jobs.model import JobExecutor, JobStatus
from govauto.jobs.queue import JobQueue
from govauto.jobs.routing import ROBOT_EXECUTOR, route
from govauto.jobs.runner import EXIT_HARD_STOP, configure_worker_logging, default_worker_id
from govauto.privacy import MaskingFilter, mask_id_numbers
from govauto.store import DATABASE_URL_ENV, Store, default_url, home_dir, open_store

__all__ = [
    "BROKER_URL_ENV",
    "DEFAULT_BROKER_URL",
    "DEFAULT_EXECUTOR_ROUTER",
    "DEFAULT_QUEUE_ROUTES",
    "TASK_NAME",
    "CeleryConfig",
    "CeleryPublisher",
    "CeleryRunner",
    "create_app",
]

log = logging.getLogger("govauto.jobs.celery")

TASK_NAME = "govauto.run_job"
"""The one task: ``run_job(job_id)``."""
BROKER_URL_ENV = "GOVAUTO_BROKER_URL"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
DEFAULT_EXECUTOR_ROUTER = "govauto.jobs.routing:ExecutorRouter"
"""The executor of Celery workers unless told otherwise: processing jobs to the pipeline, the rest to robots."""
ROBOTS_QUEUE = "robots"
EXTRACTION_QUEUE = "extraction"
DEFAULT_QUEUE_ROUTES: Mapping[str, str] = {"pipeline.": EXTRACTION_QUEUE}
"""Prefix of ``job.robot`` → Celery queue; jobs no prefix matches go to :data:`ROBOTS_QUEUE`."""

_ROBOT_EXECUTORS = (ROBOT_EXECUTOR, DEFAULT_EXECUTOR_ROUTER)
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.0, "interval_step": 0.5, "interval_max": 1.0}
N = TypeVar("N", int, float)
V = TypeVar("V", int, str)
_CLUSTER_EXTRA = "pip install 'govauto[cluster]' (Celery with its Redis client, psycopg)"


def hide_password(url: str) -> str:
    """``redis://:secret@host/0`` → ``redis://:***@host/0``: a URL fit for messages and logs."""
    return _PASSWORD_IN_URL.sub(r"\1***@", url)


def _say(level: int, message: str, *args: object) -> None:
    if log.isEnabledFor(level):
        log.log(level, "%s", mask_id_numbers(message % args if args else message))


def _module(name: str) -> Any:
    """Import a module of Celery or kombu (untyped: used as ``Any``).

    :raises JobError: Celery is not installed.
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        raise JobError(f"the Celery runner needs Celery, which is not installed: {_CLUSTER_EXTRA}") from None


def _celery() -> Any:
    return _module("celery")


# -- configuration ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CeleryConfig:
    """How Celery workers and their dispatchers run. Every worker of a cluster should have the same.

    :ivar broker_url: ``redis://[:password@]host:6379/0`` (``rediss://`` with TLS), or ``amqp://user:password@host//``
        for RabbitMQ.
    :ivar store_url: the database (default ``$GOVAUTO_DATABASE_URL``, else the local SQLite file: on several
        machines, use PostgreSQL).
    :ivar executor: ``module:callable`` building each worker process's executor (default: processing jobs to the
        pipeline's executor, the rest to robots).
    :ivar limits: per-target limits (jobs at once across the cluster); ``default_limit`` for other targets.
    :ivar robot_limits: add each robot target's ``max_sessions`` (from its form maps) for targets not in
        ``limits``.
    :ivar lease_seconds: a job whose worker is silent this long is taken over by another.
    :ivar visibility_timeout: seconds the broker waits for a delivered message's acknowledgement before it
        delivers it again (Redis, SQS): longer than the longest job. A message delivered again while its job still
        runs finds the job leased and waits, so a too short value costs messages, not double work.
    :ivar routes: prefix of ``job.robot`` → queue; ``default_queue`` for the rest.
    :ivar dispatch: run the dispatcher in this worker's main process.
    :ivar dispatch_interval: seconds between dispatcher passes.
    :ivar redispatch_after: seconds after which a job that was sent and has not started is sent again.
    :ivar grace_seconds: on a cold shutdown (a second Ctrl-C, SIGQUIT), how long running jobs may still take before
        they are handed back (Celery's ``worker_soft_shutdown_timeout``).
    """

    broker_url: str = DEFAULT_BROKER_URL
    store_url: str | None = None
    executor: str = DEFAULT_EXECUTOR_ROUTER
    limits: Mapping[str, int] = field(default_factory=dict)
    robot_limits: bool = True
    default_limit: int = 1
    lease_seconds: float = 300.0
    visibility_timeout: float = 7200.0
    routes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_QUEUE_ROUTES))
    default_queue: str = ROBOTS_QUEUE
    dispatch: bool = True
    dispatch_interval: float = 2.0
    redispatch_after: float = 600.0
    max_countdown: float = 300.0
    artifacts_root: str | None = None
    notify: str | None = None
    grace_seconds: float = 30.0

    def __post_init__(self) -> None:
        scheme = self.broker_url.partition("://")[0].lower()
        if scheme not in ("redis", "rediss", "amqp", "amqps", "pyamqp", "sentinel", "memory"):
            raise JobError(f"broker URL {hide_password(self.broker_url)!r}: not a broker Celery can use here; write "
                           "redis://host:6379/0 (Redis) or amqp://user:password@host:5672// (RabbitMQ)")
        for name in ("lease_seconds", "visibility_timeout", "dispatch_interval", "redispatch_after", "max_countdown"):
            if getattr(self, name) <= 0:
                raise JobError(f"{name} must be a number of seconds > 0, got {getattr(self, name)}")
        if self.visibility_timeout <= max(self.lease_seconds, self.max_countdown):
            raise JobError(f"visibility_timeout ({self.visibility_timeout:g} s) must be longer than the lease "
                           f"({self.lease_seconds:g} s) and the longest countdown ({self.max_countdown:g} s); make it "
                           "longer than the longest job (default 7200 s)")
        if self.default_limit < 0 or any(n < 0 for n in self.limits.values()):
            raise JobError("limits must be whole numbers >= 0")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CeleryConfig:
        """The configuration from environment variables (what ``celery -A govauto.jobs.celery_app`` uses):

        ``GOVAUTO_BROKER_URL``, ``GOVAUTO_DATABASE_URL``, ``GOVAUTO_EXECUTOR``, ``GOVAUTO_LIMITS``
        (``target=N,target=N``), ``GOVAUTO_DEFAULT_LIMIT``, ``GOVAUTO_LEASE_SECONDS``,
        ``GOVAUTO_VISIBILITY_TIMEOUT``, ``GOVAUTO_CELERY_ROUTES`` (``prefix=queue,...``; an empty prefix sets the
        default queue), ``GOVAUTO_DISPATCH`` (``0`` turns the dispatcher off), ``GOVAUTO_DISPATCH_INTERVAL``,
        ``GOVAUTO_REDISPATCH_SECONDS``, ``GOVAUTO_ARTIFACTS_DIR``, ``GOVAUTO_NOTIFY``, ``GOVAUTO_GRACE_SECONDS``.

        :raises JobError: a value that does not parse (the variable is named).
        """
        env = os.environ if environ is None else environ
        executor = env.get("GOVAUTO_EXECUTOR") or DEFAULT_EXECUTOR_ROUTER
        routes = dict(DEFAULT_QUEUE_ROUTES)
        default_queue = ROBOTS_QUEUE
        if env.get("GOVAUTO_CELERY_ROUTES"):
            routes = _pairs("GOVAUTO_CELERY_ROUTES", env["GOVAUTO_CELERY_ROUTES"], str, "prefix=queue")
            default_queue = routes.pop("", ROBOTS_QUEUE)
        robots = executor in _ROBOT_EXECUTORS
        return cls(
            broker_url=env.get(BROKER_URL_ENV) or DEFAULT_BROKER_URL,
            store_url=env.get(DATABASE_URL_ENV) or None,
            executor=executor,
            limits=_pairs("GOVAUTO_LIMITS", env.get("GOVAUTO_LIMITS", ""), int, "target=N"),
            robot_limits=robots,
            default_limit=_number(env, "GOVAUTO_DEFAULT_LIMIT", 1, int),
            lease_seconds=_number(env, "GOVAUTO_LEASE_SECONDS", 300.0, float),
            visibility_timeout=_number(env, "GOVAUTO_VISIBILITY_TIMEOUT", 7200.0, float),
            routes=routes,
            default_queue=default_queue,
            dispatch=env.get("GOVAUTO_DISPATCH", "1").strip().lower() not in ("0", "false", "no", "off"),
            dispatch_interval=_number(env, "GOVAUTO_DISPATCH_INTERVAL", 2.0, float),
            redispatch_after=_number(env, "GOVAUTO_REDISPATCH_SECONDS", 600.0, float),
            artifacts_root=env.get("GOVAUTO_ARTIFACTS_DIR") or None,
            notify=env.get("GOVAUTO_NOTIFY") or ("govauto.robots.executor:notify_job_failed" if robots else None),
            grace_seconds=_number(env, "GOVAUTO_GRACE_SECONDS", 30.0, float),
        )

    @property
    def display_broker(self) -> str:
        return hide_password(self.broker_url)

    def queue_for(self, robot: str) -> str:
        """The Celery queue of a job whose ``robot`` is this."""
        return route(robot, self.routes, self.default_queue)

    def queues(self) -> list[str]:
        """Every queue the routes name, the default first."""
        names = [self.default_queue]
        names += [q for q in self.routes.values() if q not in names]
        return names


def _number(env: Mapping[str, str], name: str, default: N, kind: type[N]) -> N:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return kind(raw)
    except ValueError:
        raise JobError(f"{name}={raw!r} is not a {'whole number' if kind is int else 'number'}") from None


def _pairs(name: str, raw: str, kind: type[V], form: str) -> dict[str, V]:
    pairs: dict[str, V] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key, sep, value = item.rpartition("=")
        try:
            if not sep or not value.strip():
                raise ValueError
            pairs[key.strip()] = kind(value.strip())
        except ValueError:
            raise JobError(f"{name}: {item!r} is not {form} (write {form},{form})") from None
    return pairs


class _Settings:
    """A Celery app's govauto configuration, and the limits resolved once (in the worker's main process, before
    it starts its pool, so that every worker process has them without loading the robots again)."""

    def __init__(self, config: CeleryConfig) -> None:
        self.config = config
        # set by a worker process that cannot build its executor (shared with the pool processes it forks)
        self.executor_failed: Any = multiprocessing.Value("b", 0, lock=False)
        self.drain = False
        self.on_progress: Callable[[dict[str, int]], None] | None = None
        self._limits: dict[str, int] | None = None
        self._lock = threading.Lock()

    def limits(self) -> dict[str, int]:
        with self._lock:
            if self._limits is None:
                limits = dict(self.config.limits)
                if self.config.robot_limits:
                    from govauto.robots.enqueue import robot_limits
                    from govauto.runtime import Runtime

                    try:
                        limits = {**robot_limits(Runtime()), **limits}
                    except GovautoError as error:
                        raise JobError(f"the robots cannot be loaded to read their targets' session limits: "
                                       f"{error}") from error
                self._limits = limits
            return self._limits

    def artifacts_root(self) -> Path:
        return Path(self.config.artifacts_root) if self.config.artifacts_root else home_dir() / "artifacts"


def _settings(app: Any) -> _Settings:
    settings = getattr(app, "govauto", None)
    if not isinstance(settings, _Settings):
        raise JobError(f"the Celery app {app.main!r} was not made by govauto.jobs.celery_runner.create_app")
    return settings


# -- the Celery app and its task ----------------------------------------------------------------------------------

def create_app(config: CeleryConfig | None = None) -> Any:
    """A Celery app that runs govauto jobs (its one task, :data:`TASK_NAME`) with ``config`` (default:
    :meth:`CeleryConfig.from_env`).

    :raises JobError: Celery is not installed, or the configuration is invalid.
    """
    celery = _celery()
    bootsteps = _module("celery.bootsteps")
    queue_class = _module("kombu").Queue

    config = config or CeleryConfig.from_env()
    _connect_signals()
    # Celery warns, at every lost broker connection, that running tasks will be cancelled then in Celery 6. This app
    # sets worker_cancel_long_running_tasks_on_connection_loss=False on purpose (below): say nothing about it.
    warnings.filterwarnings("ignore", message=r"\s*In Celery 5\.1 we introduced an optional breaking change",
                            category=_module("celery.exceptions").CPendingDeprecationWarning)
    app = celery.Celery("govauto", set_as_current=False)
    app.conf.update(
        broker_url=config.broker_url,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": int(config.visibility_timeout)},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        # A lost broker connection must not kill a robot in the middle of a form: the job's lease in the store
        # keeps it safe, and its message is delivered again and dropped once the job is final.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_soft_shutdown_timeout=config.grace_seconds,
        task_serializer="json",
        result_serializer="json",
        event_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_default_queue=config.default_queue,
        task_queues=[queue_class(name, routing_key=name) for name in config.queues()],
        task_create_missing_queues=True,
        enable_utc=True,
        timezone="UTC",
    )
    app.govauto = _Settings(config)
    app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None,
             ignore_result=True)(_run_job)

    step = type("DispatchStep", (bootsteps.StartStopStep,), {
        "__doc__": "Runs the dispatcher (and the drain watch) in the worker's main process, after the pool started.",
        "__module__": __name__, "label": "govauto dispatcher", "requires": ("celery.worker.components:Pool",),
        "__init__": _step_init, "start": _step_start, "stop": _step_stop})
    app.steps["worker"].add(step)
    return app


def _step_init(step: Any, worker: Any, **kwargs: Any) -> None:
    super(type(step), step).__init__(worker, **kwargs)
    step.loop = None
    _settings(worker.app).limits()  # resolved before the pool forks, so that every worker process has them


def _step_start(step: Any, worker: Any) -> None:
    settings = _settings(worker.app)
    if settings.config.dispatch or settings.drain or settings.on_progress is not None:
        amqp_queues = worker.app.amqp.queues
        consumed = amqp_queues.consume_from or amqp_queues  # the worker's --queues, else every queue
        step.loop = _DispatchLoop(worker.app, settings, list(consumed))
        step.loop.start()


def _step_stop(step: Any, worker: Any) -> None:
    if step.loop is not None:
        step.loop.stop()
        step.loop = None


def _run_job(task: Any, job_id: str) -> str:
    """The task ``govauto.run_job``: lease job ``job_id`` and run an attempt, or defer, or drop (see the module)."""
    reject = _module("celery.exceptions").Reject

    request = task.request
    try:
        state = _process_state(task.app)
    except StoreError as error:  # this process's first message, and the database is down: try again later
        countdown = min(60.0, 2.0 * 2.0 ** (request.retries or 0)) * (0.5 + 0.5 * random.random())
        _say(logging.WARNING, "job %s: not started (%s); delivered again in %.1f s", job_id, error, countdown)
        raise task.retry(countdown=countdown, max_retries=None) from None
    try:
        delivery = state.handler.handle(job_id, request.id, request.retries or 0)
    except ExecutorLoadError as error:
        # Nothing this worker can run: give the message back for another worker and stop this one (as the local
        # runner does when its workers cannot build the executor).
        _say(logging.ERROR, "%s; this worker stops (fix the executor or pass another)", error)
        _settings(task.app).executor_failed.value = 1
        os.kill(os.getppid(), signal.SIGTERM)
        raise reject(str(error), requeue=True) from None
    if delivery.action == "deferred":
        _say(logging.INFO, "job %s: not started (%s); delivered again in %.1f s", job_id, delivery.detail,
             delivery.countdown or 0.0)
        raise task.retry(countdown=delivery.countdown, max_retries=None)
    if delivery.action != "ran":
        _say(logging.INFO if delivery.action != "unknown" else logging.WARNING, "job %s: message %s: %s", job_id,
             delivery.action, delivery.detail)
    return delivery.action


class CeleryPublisher:
    """Sends "run job J" messages through a Celery app (the dispatcher's ``publish``)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.url = hide_password(str(app.conf.broker_url))

    def __call__(self, job_id: str, queue: str, task_id: str) -> None:
        self.app.send_task(TASK_NAME, args=[job_id], task_id=task_id, queue=queue, routing_key=queue, retry=True,
                           retry_policy=_PUBLISH_RETRY)

    def check(self, timeout: float = 3.0) -> None:
        """Connect to the broker once.

        :raises BrokerError: it cannot be reached (the message names the URL, password hidden, and what to do).
        """
        try:
            with self.app.connection_for_write(connect_timeout=timeout) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=timeout)
        except Exception as error:
            raise BrokerError(self.url, f"cannot be reached ({type(error).__name__}: {error}); check that the broker "
                                        f"runs and that {BROKER_URL_ENV} names it (scripts/services.sh start starts "
                                        "Redis on this machine)") from None


def check_broker(url: str, timeout: float = 3.0) -> None:
    """Connect to the broker at ``url`` once. :raises BrokerError: it cannot be reached; Celery is missing."""
    try:
        _celery()
    except JobError as error:
        raise BrokerError(hide_password(url), str(error)) from None
    connection = _module("kombu").Connection
    try:
        with connection(url, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=timeout)
    except Exception as error:
        raise BrokerError(hide_password(url), f"cannot be reached ({type(error).__name__}: {error}); check that "
                                              f"the broker runs and that {BROKER_URL_ENV} names it "
                                              "(scripts/services.sh start starts Redis on this machine)") from None


# -- worker processes ---------------------------------------------------------------------------------------------

class _ProcessState:
    """What one worker process keeps: its store, its executor (one browser), its handler of messages."""

    def __init__(self, app: Any) -> None:
        settings = _settings(app)
        config = settings.config
        self.pid = os.getpid()
        self.worker_id = default_worker_id()
        self.config = config
        self.store = open_store(config.store_url or default_url())
        self.queue = JobQueue(self.store)
        self._executor: JobExecutor | None = None
        self._watcher: Any = None
        notify = load_callable(config.notify, "notify hook") if config.notify else None
        limits = settings.limits()
        self.dispatcher = Dispatcher(self.queue, CeleryPublisher(app), limits=limits,
                                     default_limit=config.default_limit, queue_for=config.queue_for,
                                     redispatch_after=config.redispatch_after)
        self.handler = JobMessageHandler(
            self.queue, self.executor, self.worker_id, limits=limits, default_limit=config.default_limit,
            lease_seconds=config.lease_seconds, artifacts_root=settings.artifacts_root(), notify=notify,
            dispatcher=self.dispatcher if config.dispatch else None, max_countdown=config.max_countdown)

    def executor(self) -> JobExecutor:
        if self._executor is None:
            from govauto.reload import watch_executor

            factory = load_callable(self.config.executor)
            try:
                self._executor = factory()
            except Exception as error:
                raise ExecutorLoadError(f"executor {self.config.executor}: building it failed: "
                                        f"{type(error).__name__}: {error}") from error
            self._watcher = watch_executor(self._executor)
            _say(logging.INFO, "worker %s: started (executor %s)", self.worker_id, self.config.executor)
        return self._executor

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        if self._executor is not None:
            try:
                self._executor.close()
            except Exception as error:
                _say(logging.ERROR, "worker %s: closing the executor failed: %s: %s", self.worker_id,
                     type(error).__name__, error)
        self.store.dispose()


_STATE: _ProcessState | None = None
_STATE_LOCK = threading.Lock()
_PARENT_STORES: list[Store] = []  # stores opened by a worker's main process (its dispatcher)


def _process_state(app: Any) -> _ProcessState:
    global _STATE
    with _STATE_LOCK:
        if _STATE is None or _STATE.pid != os.getpid():
            _STATE = _ProcessState(app)
        return _STATE


def _on_process_init(**_: Any) -> None:
    """A new worker process (forked from the worker's main process)."""
    for store in _PARENT_STORES:  # the parent's connections are not this process's: never use or close them
        store.engine.dispose(close=False)
    _PARENT_STORES.clear()
    signal.signal(signal.SIGTERM, _on_sigterm_in_process)


def _on_sigterm_in_process(signum: int, frame: FrameType | None) -> None:
    """SIGTERM in a worker process (a cold shutdown cancelling its task): hand the job back, then exit."""
    state = _STATE
    if state is not None and state.pid == os.getpid() and state.handler.current is not None:
        raise SystemExit(EXIT_HARD_STOP)  # the attempt's handler releases the job (queued again) and re-raises
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _on_process_shutdown(**_: Any) -> None:
    global _STATE
    state, _STATE = _STATE, None
    if state is not None and state.pid == os.getpid():
        state.close()


def _mask_celery_logs(logger: logging.Logger | None = None, **_: Any) -> None:
    """Celery set up its log handlers (``celery worker``): mask ID numbers in everything they write."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())


_SIGNALS_CONNECTED = False


def _connect_signals() -> None:
    """Connect govauto's handlers to Celery's (process-wide) signals, once."""
    global _SIGNALS_CONNECTED
    if _SIGNALS_CONNECTED:
        return
    _SIGNALS_CONNECTED = True
    signals = _module("celery.signals")

    signals.worker_process_init.connect(_on_process_init, weak=False)
    signals.worker_process_shutdown.connect(_on_process_shutdown, weak=False)
    signals.after_setup_logger.connect(_mask_celery_logs, weak=False)
    signals.after_setup_task_logger.connect(_mask_celery_logs, weak=False)




# -- the dispatcher in the worker's main process ------------------------------------------------------------------

def _pending(queue: JobQueue, config: CeleryConfig, limits: Mapping[str, int], queues: frozenset[str]) -> int:
    """Queued or running jobs a worker consuming ``queues`` could run (jobs of paused targets do not count)."""
    from sqlalchemy import func, select

    from govauto.store.schema import jobs

    query = (select(jobs.c.robot, jobs.c.target, func.count())
             .where(jobs.c.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value)))
             .group_by(jobs.c.robot, jobs.c.target))
    with queue.store.begin() as conn:
        rows = conn.execute(query).all()
    return sum(n for robot, target, n in rows
               if config.queue_for(robot) in queues and limits.get(target, config.default_limit) > 0)


class _DispatchLoop(threading.Thread):
    """Dispatcher passes every ``dispatch_interval`` (with jitter), the drain watch and the progress reports."""

    def __init__(self, app: Any, settings: _Settings, queues: Iterable[str]) -> None:
        super().__init__(name="govauto-dispatcher", daemon=True)
        self.app = app
        self.queues = frozenset(queues)
        self.settings = settings
        self.config = settings.config
        self._stopped = threading.Event()
        self._rng = random.Random()
        self._problem: str | None = None
        self._quiet_passes = 0

    def stop(self) -> None:
        self._stopped.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout=10.0)

    def run(self) -> None:
        publisher = CeleryPublisher(self.app)
        queue: JobQueue | None = None
        dispatcher: Dispatcher | None = None
        interval = self.config.dispatch_interval
        wait = 0.0
        while not self._stopped.wait(wait):
            wait = interval * (0.75 + 0.5 * self._rng.random())
            try:
                if queue is None:
                    store = open_store(self.config.store_url or default_url())
                    _PARENT_STORES.append(store)
                    queue = JobQueue(store)
                    dispatcher = Dispatcher(queue, publisher, limits=self.settings.limits(),
                                            default_limit=self.config.default_limit,
                                            queue_for=self.config.queue_for,
                                            redispatch_after=self.config.redispatch_after)
                if self.config.dispatch and dispatcher is not None:
                    publisher.check()
                    sent = dispatcher.dispatch()
                    if sent:
                        shown = ", ".join(f"{d.job_id} → {d.queue}" + ("" if d.reason == "new" else f" ({d.reason})")
                                          for d in sent[:10])
                        more = f" and {len(sent) - 10} more" if len(sent) > 10 else ""
                        level = logging.WARNING if any(d.reason == "redispatch" for d in sent) else logging.INFO
                        _say(level, "dispatched %d job(s): %s%s", len(sent), shown, more)
                self._report(queue)
                self._recovered()
            except (BrokerError, StoreError) as error:
                self._trouble(f"{error}; dispatching resumes when it is back")
            except GovautoError as error:
                self._trouble(f"dispatching failed: {error}")
            except Exception as error:  # the broker client's own errors, while publishing
                self._trouble(f"dispatching failed: broker {publisher.url}: {type(error).__name__}: {error}; "
                              "it is tried again")

    def _report(self, queue: JobQueue) -> None:
        if not self.settings.drain and self.settings.on_progress is None:
            return
        counts = queue.counts()
        if self.settings.on_progress is not None:
            self.settings.on_progress(counts)
        if self.settings.drain:
            idle = _pending(queue, self.config, self.settings.limits(), self.queues) == 0
            self._quiet_passes = self._quiet_passes + 1 if idle else 0
            if self._quiet_passes >= 2:
                state = _module("celery.worker.state")
                _say(logging.INFO, "no job this worker could run is queued or running: it stops (--drain)")
                state.should_stop = 0
                self._stopped.set()

    def _trouble(self, message: str) -> None:
        if message != self._problem:
            _say(logging.WARNING, "%s", message)
        self._problem = message

    def _recovered(self) -> None:
        if self._problem is not None:
            _say(logging.INFO, "dispatching works again")
            self._problem = None


# -- the runner ---------------------------------------------------------------------------------------------------

@dataclass
class CeleryRunner:
    """A :class:`~govauto.jobs.JobRunner` that runs a Celery worker in this process (and its ``concurrency`` worker
    processes), consuming ``queues`` (default: all of :meth:`CeleryConfig.queues`).

    :param config: the cluster's configuration.
    :param concurrency: worker processes (one executor, e.g. one browser, each).
    :param drain: stop once no job is queued or running in the store.
    :param on_progress: called with the job counts by status after every dispatcher pass.
    :param log_level: of the worker's log lines (stderr; ID numbers masked).
    :param quiet: leave out Celery's start-up banner.
    """

    config: CeleryConfig
    concurrency: int = 1
    queues: Iterable[str] | None = None
    drain: bool = False
    on_progress: Callable[[dict[str, int]], None] | None = None
    log_level: int = logging.INFO
    quiet: bool = False
    hostname: str | None = None
    _stop_requests: int = field(default=0, init=False, repr=False)

    def stop(self) -> None:
        """First call: take no new job, let running ones finish (Celery's warm shutdown). Second call: hand the
        running jobs back (cold shutdown, after ``grace_seconds``)."""
        state = _module("celery.worker.state")
        self._stop_requests += 1
        if self._stop_requests == 1:
            state.should_stop = 0
        else:
            state.should_terminate = 0

    def run(self) -> None:
        """Check the broker, the store and the executor, then run the worker until it is stopped (SIGTERM or Ctrl-C:
        warm shutdown; a second Ctrl-C or SIGQUIT: cold) or drained.

        :raises BrokerError: the broker cannot be reached, or Celery is not installed.
        :raises StoreError: the database cannot be opened.
        :raises ExecutorLoadError: the executor or notify path is wrong.
        :raises JobError: the worker stopped with an error.
        """
        if self.concurrency < 1:
            raise JobError(f"concurrency must be at least 1, got {self.concurrency}")
        check_broker(self.config.broker_url)
        load_callable(self.config.executor)
        if self.config.notify is not None:
            load_callable(self.config.notify, "notify hook")
        store = open_store(self.config.store_url or default_url())
        config = replace(self.config, store_url=store.connect_url)
        store.dispose()
        queues = list(self.queues) if self.queues is not None else config.queues()
        unknown = [q for q in queues if q not in config.queues()]
        if unknown:
            raise JobError(f"unknown queue(s) {', '.join(unknown)}: the routes send jobs to "
                           f"{', '.join(config.queues())}")
        configure_worker_logging(self.log_level)
        app = create_app(config)
        app.conf.update(worker_hijack_root_logger=False, worker_redirect_stdouts=False)
        settings = _settings(app)
        settings.drain = self.drain
        settings.on_progress = self.on_progress
        limits = settings.limits()
        _say(logging.INFO, "celery worker: broker %s, database %s, queues %s, %d process(es), limits %s",
             config.display_broker, store.display_url, ",".join(queues), self.concurrency,
             ", ".join(f"{t}={n}" for t, n in sorted(limits.items())) or f"{config.default_limit} per target")
        state = _module("celery.worker.state")
        state.should_stop = state.should_terminate = None
        worker = app.Worker(hostname=self.hostname or f"govauto-{os.getpid()}@{socket.gethostname()}",
                            concurrency=self.concurrency, queues=queues, pool_cls="prefork",
                            loglevel=logging.getLevelName(self.log_level), quiet=self.quiet,
                            without_mingle=True, without_gossip=True, optimization="fair")
        worker.start()
        if settings.executor_failed.value:
            raise ExecutorLoadError(f"the worker processes could not build the executor {config.executor} (see the "
                                    "log above); fix it or pass another with --executor")
        code = worker.exitcode
        if code not in (None, 0):
            raise JobError(f"the Celery worker stopped with exit code {code}; see the log above")
