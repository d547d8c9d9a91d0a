"""Which executor runs a job, and which Celery queue carries it: chosen by the job's ``robot`` field.

A route maps a **prefix** of ``job.robot`` to a value; the longest matching prefix wins and the empty prefix is
the fallback. Processing jobs (``robot`` ``pipeline.process``, see :mod:`govauto.pipeline_executor`) and robot
jobs (a robot id such as ``legacy_portal.establish``) are told apart this way::

    router = ExecutorRouter()                                   # the default routes below
    router = ExecutorRouter({"pipeline.": "govauto.pipeline_executor:PipelineExecutor",
                             "mycity.": "mycity.robots:CityExecutor"})
    route("pipeline.process", {"pipeline.": "extraction"}, default="robots")   # -> "extraction"

:class:`ExecutorRouter` is itself an executor (a :class:`~govauto.jobs.model.JobExecutor`), so any runner takes it
by its import path: ``govauto worker --executor govauto.jobs.routing:ExecutorRouter``. It builds each executor on
first use (a worker that only extracts never starts a browser) and shares one :class:`~govauto.Runtime` between
executors that accept a ``runtime`` argument, so a rule pack reloaded while the worker runs applies to all of them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from govauto.errors import ExecutorLoadError
from govauto.jobs._imports import load_callable
from govauto.jobs.model import ExecutionResult, Job, JobContext, JobExecutor

if TYPE_CHECKING:
    from govauto.runtime import Runtime

__all__ = ["DEFAULT_EXECUTOR_ROUTES", "ROBOT_EXECUTOR", "ExecutorRouter", "route"]

ROBOT_EXECUTOR = "govauto.robots.executor:RobotExecutor"
"""The executor of every job no other route claims: the robots' Playwright executor."""

DEFAULT_EXECUTOR_ROUTES: Mapping[str, str] = {"pipeline.": "govauto.pipeline_executor:PipelineExecutor"}
"""Processing jobs (extraction and review) to the pipeline's executor; every other job to :data:`ROBOT_EXECUTOR`."""

T = TypeVar("T")


def route(robot: str, routes: Mapping[str, T], default: T) -> T:
    """The value of the longest prefix in ``routes`` that ``robot`` starts with, else ``default``."""
    best: str | None = None
    for prefix in routes:
        if robot.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return default if best is None else routes[best]


ExecutorFactory = str | Callable[..., JobExecutor]


class ExecutorRouter:
    """Runs each job with the executor its ``robot`` prefix names (a :class:`~govauto.jobs.model.JobExecutor`).

    :param routes: prefix of ``job.robot`` → executor factory (``"package.module:callable"`` or the callable);
        default :data:`DEFAULT_EXECUTOR_ROUTES`.
    :param default: the factory for jobs no prefix matches; default :data:`ROBOT_EXECUTOR`.
    :param runtime: the runtime handed to factories that take a ``runtime`` argument (default: one
        :class:`~govauto.Runtime` with the installed plugins, made on first use).

    Factories are resolved when the router is made (a wrong path fails at once, with
    :class:`~govauto.errors.ExecutorLoadError`) and called on the first job they get; ``close()`` closes every
    executor built.
    """

    def __init__(self, routes: Mapping[str, ExecutorFactory] | None = None, default: ExecutorFactory = ROBOT_EXECUTOR,
                 runtime: Runtime | None = None) -> None:
        chosen: dict[str, ExecutorFactory] = dict(DEFAULT_EXECUTOR_ROUTES if routes is None else routes)
        chosen.setdefault("", default)  # an empty prefix in ``routes`` is the default
        self._factories: dict[str, Callable[..., JobExecutor]] = {
            prefix: self._resolve(factory, f"executor route {prefix!r}") for prefix, factory in chosen.items()}
        self._names = {prefix: self._name(factory) for prefix, factory in chosen.items()}
        self._runtime = runtime
        self._built: dict[str, JobExecutor] = {}

    @staticmethod
    def _resolve(factory: ExecutorFactory, what: str) -> Callable[..., JobExecutor]:
        if isinstance(factory, str):
            return load_callable(factory, what)
        if not callable(factory):
            raise ExecutorLoadError(f"{what}: {factory!r} is not an import path or a callable")
        return factory

    @staticmethod
    def _name(factory: ExecutorFactory) -> str:
        return factory if isinstance(factory, str) else getattr(factory, "__qualname__", repr(factory))

    def __repr__(self) -> str:
        routes = ", ".join(f"{prefix!r}: {name}" for prefix, name in self._names.items())
        return f"ExecutorRouter({{{routes}}})"

    @property
    def runtime(self) -> Runtime:
        """The runtime shared by the executors (made on first use); the worker's pack watcher reloads it."""
        if self._runtime is None:
            from govauto.runtime import Runtime

            self._runtime = Runtime()
        return self._runtime

    def executor_for(self, job: Job) -> JobExecutor:
        """The executor that runs ``job`` (built on first use).

        :raises ExecutorLoadError: building it failed.
        """
        prefix = route(job.robot, {p: p for p in self._factories}, "")
        if prefix in self._built:
            return self._built[prefix]
        factory, name = self._factories[prefix], self._names[prefix]
        try:
            executor = factory(runtime=self.runtime) if _takes_runtime(factory) else factory()
        except Exception as error:
            raise ExecutorLoadError(f"executor {name} (for jobs whose robot is {job.robot!r}): building it failed: "
                                    f"{type(error).__name__}: {error}") from error
        self._built[prefix] = executor
        return executor

    def execute(self, ctx: JobContext) -> ExecutionResult:
        try:
            executor = self.executor_for(ctx.job)
        except ExecutorLoadError as error:
            return ExecutionResult("failed", error_kind="config", message=str(error))
        return executor.execute(ctx)

    def close(self) -> None:
        """Close every executor built (each one's error is raised after all were tried)."""
        errors: list[BaseException] = []
        for executor in self._built.values():
            try:
                executor.close()
            except Exception as error:
                errors.append(error)
        self._built.clear()
        if errors:
            raise errors[0]


def _takes_runtime(factory: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    runtime = parameters.get("runtime")
    return runtime is not None and runtime.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                    inspect.Parameter.KEYWORD_ONLY)
