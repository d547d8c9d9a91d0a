"""``govauto jobs ...`` and ``govauto worker``: the ops commands for robot jobs.

Every line printed goes through :func:`govauto.privacy.mask_id_numbers`. ``--json`` output is JSON Lines: one
object per line (per job for ``list``, ``retry`` and ``cancel``; per artifact for ``artifacts``; one object for
``show``), UTF-8, times in ISO 8601 UTC. A job's payload is never printed: a summary of it is.

Exit codes: 0 done; 1 the operation failed (the database cannot be used, workers cannot run); 2 bad input (an
unknown job id, a transition the job's status does not allow, a malformed option).

To add a command: decorate a function with ``@jobs_app.command()``, take ``ctx: typer.Context`` and get the
queue with :func:`open_queue` (which honours ``--db``), print through :func:`say`, :func:`print_json` and
:func:`job_table`, and raise :func:`fail` for errors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from govauto.errors import (
    BrokerError,
    ExecutorLoadError,
    GovautoError,
    JobError,
    JobNotFoundError,
    JobStateError,
    StoreError,
)
from govauto.jobs.celery_runner import BROKER_URL_ENV, DEFAULT_BROKER_URL, DEFAULT_EXECUTOR_ROUTER
from govauto.jobs.model import Job, JobArtifact, JobEvent, JobStatus
from govauto.jobs.queue import JobQueue
from govauto.jobs.routing import ROBOT_EXECUTOR
from govauto.jobs.runner import DEFAULT_EXECUTOR, JobRunner, LocalRunner, configure_worker_logging
from govauto.privacy import mask_id_numbers
from govauto.store import DATABASE_URL_ENV, open_store

__all__ = ["fail", "job_table", "jobs_app", "open_queue", "print_json", "say", "worker_command"]

jobs_app = typer.Typer(no_args_is_help=True, help="Robot jobs: list, inspect, retry and cancel them (for ops).")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

STATUS_STYLE = {
    JobStatus.QUEUED: "blue", JobStatus.RUNNING: "cyan", JobStatus.SUCCEEDED: "green", JobStatus.FAILED: "red",
    JobStatus.NEEDS_REVIEW: "yellow", JobStatus.CANCELLED: "dim",
}
_DB_KEY = "govauto.jobs.db"
_DB_HELP = f"Database URL (default: ${DATABASE_URL_ENV}, else sqlite:///$GOVAUTO_HOME/govauto.db)."
UNLIMITED = 1_000_000
"""The limit of a target that protects no outside system (processing jobs): only the workers' number bounds it."""


# -- helpers for every command ------------------------------------------------------------------------------------

def say(text: str, *, markup: bool = True, stderr: bool = False) -> None:
    """Print a line with ID numbers masked (escape values put into markup with :func:`rich.markup.escape`)."""
    (err if stderr else out).print(mask_id_numbers(text), markup=markup)


def print_json(value: Any) -> None:
    """Print one JSON object on one line, ID numbers masked."""
    print(mask_id_numbers(json.dumps(value, ensure_ascii=False, default=str)))


def fail(message: str, code: int) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code`` (1 failed, 2 bad input)."""
    say(f"error: {message}", markup=False, stderr=True)
    raise typer.Exit(code)


def open_queue(ctx: typer.Context) -> JobQueue:
    """The job queue on the database chosen by ``--db`` (or the default); exits 1 when it cannot be opened."""
    try:
        return JobQueue(open_store(ctx.meta.get(_DB_KEY)))
    except StoreError as error:
        fail(str(error), 1)


@contextmanager
def handled() -> Iterator[None]:
    """Turn govauto errors into exit codes: 2 for bad input (unknown job, illegal transition), 1 otherwise."""
    try:
        yield
    except (JobNotFoundError, JobStateError) as error:
        fail(str(error), 2)
    except GovautoError as error:
        fail(str(error), 1)


def _when(value: datetime | None, *, short: bool = False) -> str:
    if value is None:
        return "—"
    return value.astimezone().strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M:%S")


def _status(job: Job) -> str:
    style = STATUS_STYLE[job.status]
    extra = " (cancel requested)" if job.cancel_requested and job.status is JobStatus.RUNNING else ""
    return f"[{style}]{job.status.value}{extra}[/{style}]"


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def summarise_payload(payload: Mapping[str, Any]) -> dict[str, str]:
    """One short line per top-level key of a payload: scalars shortened, mappings and lists counted."""
    summary: dict[str, str] = {}
    for key, value in payload.items():
        if isinstance(value, Mapping):
            keys = ", ".join(str(k) for k in list(value)[:6]) + (", …" if len(value) > 6 else "")
            summary[str(key)] = f"{{{len(value)} keys: {keys}}}"
        elif isinstance(value, list | tuple):
            summary[str(key)] = f"[{len(value)} items]"
        else:
            summary[str(key)] = _short(value)
    return summary


def job_json(job: Job) -> dict[str, Any]:
    """A job as printed by ``--json``: every field, the payload replaced by ``payload_summary``."""
    data = job.to_dict()
    data["payload_summary"] = summarise_payload(data.pop("payload"))
    return data


def job_table(jobs: list[Job], title: str | None = None) -> Table:
    """The table ``govauto jobs list`` prints."""
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("id", no_wrap=True)
    table.add_column("case", overflow="fold", min_width=8)
    table.add_column("robot", overflow="fold", min_width=8)
    table.add_column("status", no_wrap=True)
    table.add_column("tries", no_wrap=True)
    table.add_column("receipt", overflow="fold", min_width=10)
    table.add_column("error", overflow="fold", min_width=8)
    table.add_column("updated", no_wrap=True)
    for job in jobs:
        table.add_row(job.id, escape(mask_id_numbers(job.case_id)), escape(job.robot), _status(job),
                      f"{job.attempts}/{job.max_attempts}", escape(job.receipt or "—"), escape(job.error_kind or "—"),
                      _when(job.updated_at, short=True))
    return table


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def _event_detail(event: JobEvent) -> str:
    detail = dict(event.detail)
    trace = detail.pop("traceback", None)
    text = ", ".join(f"{k}={_short(v, 80)}" for k, v in detail.items())
    if isinstance(trace, str) and trace.strip():
        text += f" (traceback: {trace.strip().splitlines()[-1]})"
    return text


# -- the jobs commands --------------------------------------------------------------------------------------------

@jobs_app.callback()
def _jobs(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
) -> None:
    """Robot jobs: list, inspect, retry and cancel them (for ops)."""
    ctx.meta[_DB_KEY] = db


@jobs_app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this status.", show_default=False)] = None,
    robot: Annotated[str | None, typer.Option(help="Only this robot's jobs.", show_default=False)] = None,
    target: Annotated[str | None, typer.Option(help="Only jobs for this target system.", show_default=False)]
    = None,
    case: Annotated[str | None, typer.Option(help="Only this case's jobs.", show_default=False)] = None,
    limit: Annotated[int, typer.Option(help="At most this many jobs, newest first.", min=1)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per job, one per line.")] = False,
) -> None:
    """List jobs, newest first."""
    queue = open_queue(ctx)
    with handled():
        jobs = queue.list(status=status, robot=robot, target=target, case_id=case, limit=limit)
    if as_json:
        for job in jobs:
            print_json(job_json(job))
        return
    if not jobs:
        say("[dim]no jobs match[/dim]")
        return
    out.print(job_table(jobs))


@jobs_app.command("show")
def show_command(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(metavar="JOB", help="The job id (from `govauto jobs list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object: the job, its events, its artifacts.")]
    = False,
) -> None:
    """Show a job: every field, its history (events) and its artifacts."""
    queue = open_queue(ctx)
    with handled():
        job = queue.get(job_id)
        events = queue.events(job_id)
        artifacts = queue.artifacts(job_id)
    if as_json:
        data = job_json(job)
        data["events"] = [e.to_dict() for e in events]
        data["artifacts"] = [_artifact_json(a) for a in artifacts]
        print_json(data)
        return
    say(f"[bold]{job.id}[/bold] {_status(job)}  case {escape(job.case_id)}, robot {escape(job.robot)} → "
        f"target {escape(job.target)}")
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="dim")
    fields.add_column(overflow="fold")
    rows: list[tuple[str, str]] = [
        ("key", escape(job.key)),
        ("attempts", f"{job.attempts} of {job.max_attempts} (priority {job.priority})"),
        ("receipt", escape(job.receipt or "—") + (" (found by searching the target)" if job.reconciled else "")),
        ("error", escape(f"{job.error_kind}: {job.error_message}") if job.error_kind or job.error_message else "—"),
        ("submit uncertain", "[yellow]yes[/yellow]: a submission may have reached the target; the next attempt "
                             "searches for it first" if job.submit_uncertain else "no"),
        ("cancel requested", "yes" if job.cancel_requested else "no"),
        ("created", _when(job.created_at)), ("updated", _when(job.updated_at)),
        ("started", _when(job.started_at)), ("finished", _when(job.finished_at)),
        ("not before", _when(job.not_before)),
        ("lease", f"{escape(job.lease_owner)} until {_when(job.lease_expires_at)}" if job.lease_owner else "—"),
    ]
    for key, value in summarise_payload(job.payload).items():
        rows.append((f"payload.{escape(key)}", escape(value)))
    for name, value in rows:
        fields.add_row(name, mask_id_numbers(value))
    out.print(fields)
    events_table = Table(title="events")
    for column in ("time", "attempt", "event", "detail"):
        events_table.add_column(column, overflow="fold")
    for event in events:
        events_table.add_row(_when(event.ts), str(event.attempt), escape(event.event),
                             escape(mask_id_numbers(_event_detail(event))))
    out.print(events_table)
    if artifacts:
        out.print(_artifact_table(artifacts))


def _for_each_job(job_ids: list[str], change: Callable[[str], Job], as_json: bool,
                  describe: Callable[[Job], str]) -> None:
    """Apply ``change`` to every job; report each (JSON or ``describe``), and exit 2 if any was unknown or refused."""
    bad = False
    for job_id in job_ids:
        try:
            job = change(job_id)
        except (JobNotFoundError, JobStateError) as error:
            bad = True
            say(f"error: {error}", markup=False, stderr=True)
            continue
        except GovautoError as error:
            fail(str(error), 1)
        if as_json:
            print_json(job_json(job))
        else:
            say(describe(job), markup=False)
    if bad:
        raise typer.Exit(2)


@jobs_app.command("retry")
def retry_command(
    ctx: typer.Context,
    job_ids: Annotated[list[str], typer.Argument(metavar="JOB...", help="Failed, needs_review or cancelled jobs.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per job queued again.")] = False,
) -> None:
    """Queue failed, needs_review or cancelled jobs again (at least one more attempt each)."""

    def describe(job: Job) -> str:
        note = " (it searches the target for an earlier submission first)" if job.submit_uncertain else ""
        return f"{job.id} queued again: attempt {job.attempts + 1} of {job.max_attempts}{note}"

    _for_each_job(job_ids, open_queue(ctx).retry, as_json, describe)


@jobs_app.command("cancel")
def cancel_command(
    ctx: typer.Context,
    job_ids: Annotated[list[str], typer.Argument(metavar="JOB...", help="Queued or running jobs.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per job.")] = False,
) -> None:
    """Cancel jobs: a queued job at once; a running one stops at its next safe point."""

    def describe(job: Job) -> str:
        if job.status is JobStatus.CANCELLED:
            return f"{job.id} cancelled"
        return (f"{job.id} is running: cancel requested; it ends cancelled when its current attempt stops (unless "
                "that attempt succeeds)")

    _for_each_job(job_ids, open_queue(ctx).cancel, as_json, describe)


def _artifact_json(artifact: JobArtifact) -> dict[str, Any]:
    data = artifact.to_dict()
    data["exists"] = Path(artifact.path).exists()
    return data


def _artifact_table(artifacts: list[JobArtifact]) -> Table:
    table = Table(title="artifacts")
    for column in ("attempt", "kind", "size", "path"):
        table.add_column(column, overflow="fold")
    for artifact in artifacts:
        missing = "" if Path(artifact.path).exists() else " [red](missing)[/red]"
        table.add_row(str(artifact.attempt), artifact.kind, _size(artifact.bytes),
                      escape(mask_id_numbers(artifact.path)) + missing)
    return table


@jobs_app.command("artifacts")
def artifacts_command(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(metavar="JOB", help="The job id.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per artifact, one per line.")] = False,
) -> None:
    """List the files a job's attempts left: screenshots, page HTML, Playwright traces, logs."""
    queue = open_queue(ctx)
    with handled():
        artifacts = queue.artifacts(job_id)
    if as_json:
        for artifact in artifacts:
            print_json(_artifact_json(artifact))
        return
    if not artifacts:
        say(f"[dim]job {job_id} has no artifacts[/dim]")
        return
    out.print(_artifact_table(artifacts))
    for artifact in artifacts:
        if artifact.kind == "trace":
            say(f"open the trace: playwright show-trace {artifact.path}", markup=False)


# -- the worker ---------------------------------------------------------------------------------------------------

def _parse_limits(items: list[str]) -> dict[str, int]:
    limits: dict[str, int] = {}
    for item in items:
        target, sep, number = item.rpartition("=")
        if not sep or not target or not number.strip().isdigit():
            fail(f"--limit {item!r}: expected TARGET=N with N a whole number >= 0, e.g. amr-portal=2", 2)
        limits[target] = int(number)
    return limits


_DONE = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.NEEDS_REVIEW, JobStatus.CANCELLED)


def _counts_line(counts: Mapping[str, int]) -> str:
    return " ".join(f"{status.value}={counts.get(status, 0)}" for status in JobStatus)


class _ProgressBar:
    """The drain progress bar: done since start out of done since start + still queued or running."""

    def __init__(self) -> None:
        self.progress = Progress(TextColumn("[bold]jobs"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=out)
        self.task = self.progress.add_task("jobs", total=None, detail="")
        self.baseline: int | None = None
        self.counts: dict[str, int] | None = None

    def update(self, counts: dict[str, int]) -> None:
        self.counts = counts
        done = sum(counts.get(s, 0) for s in _DONE)
        if self.baseline is None:
            self.baseline = done
        finished = done - self.baseline
        pending = counts.get(JobStatus.QUEUED, 0) + counts.get(JobStatus.RUNNING, 0)
        detail = (f"queued {counts.get(JobStatus.QUEUED, 0)}  running {counts.get(JobStatus.RUNNING, 0)}  "
                  f"failed {counts.get(JobStatus.FAILED, 0)}  review {counts.get(JobStatus.NEEDS_REVIEW, 0)}")
        self.progress.update(self.task, completed=finished, total=finished + pending, detail=detail)


class _PlainLines:
    """Progress as plain lines, one whenever the counts change (for logs and pipes)."""

    def __init__(self) -> None:
        self.last: str | None = None
        self.counts: dict[str, int] | None = None

    def update(self, counts: dict[str, int]) -> None:
        self.counts = counts
        line = _counts_line(counts)
        if line != self.last:
            self.last = line
            print(line, flush=True)


class Runner(StrEnum):
    """Which runner ``govauto worker`` starts."""

    LOCAL = "local"
    CELERY = "celery"


def _queues(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        fail(f"--queues {value!r}: name at least one queue, e.g. robots,extraction", 2)
    return names


def worker_command(
    concurrency: Annotated[int, typer.Option(help="Worker processes (one executor, e.g. one browser, each).",
                                             min=1)] = 1,
    limit: Annotated[list[str] | None, typer.Option(
        metavar="TARGET=N", help="At most N jobs at once for TARGET, across all workers (repeatable; default for "
        "robot jobs: the max_sessions of the target's form maps).")] = None,
    default_limit: Annotated[int, typer.Option(help="At most this many jobs at once for targets not in --limit.",
                                               min=0)] = 1,
    drain: Annotated[bool, typer.Option("--drain", help="Exit once no job is queued or running.")] = False,
    executor: Annotated[str | None, typer.Option(
        metavar="MODULE:CALLABLE", help=f"What runs each job (default: {DEFAULT_EXECUTOR}, which sends processing "
        "jobs to the pipeline and the rest to robots).",
        show_default=False)] = None,
    lease_seconds: Annotated[float, typer.Option(
        help="A job whose worker is silent this long is taken up by another worker.", min=1.0)] = 300.0,
    poll_interval: Annotated[float | None, typer.Option(
        help="Seconds between looks for work when idle (default 0.5; celery: between dispatcher passes, default 2).",
        min=0.05, show_default=False)] = None,
    grace_seconds: Annotated[float, typer.Option(
        help="After Ctrl-C or SIGTERM, how long running jobs may take to finish before they are handed back "
        "(celery: after a second Ctrl-C or SIGQUIT; the first waits for them).", min=0.0)] = 30.0,
    artifacts_dir: Annotated[Path | None, typer.Option(
        "--artifacts-dir", help="Where attempts keep their files (default $GOVAUTO_HOME/artifacts).",
        show_default=False)] = None,
    notify: Annotated[str | None, typer.Option(
        metavar="MODULE:CALLABLE", help="Called with each job that ends failed or needs_review.",
        show_default=False)] = None,
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
    runner: Annotated[Runner, typer.Option(
        help="local: worker processes on this machine, taking jobs from the database; celery: a Celery worker "
        "fed by the broker (run one on each machine).")] = Runner.LOCAL,
    broker: Annotated[str | None, typer.Option(
        "--broker", envvar=BROKER_URL_ENV, metavar="URL", show_default=False, show_envvar=False,
        help=f"celery: the broker (default ${BROKER_URL_ENV}, else {DEFAULT_BROKER_URL}; amqp://… for RabbitMQ).")]
    = None,
    queues: Annotated[str | None, typer.Option(
        metavar="QUEUE,...", show_default=False,
        help="celery: the queues to take jobs from (default: all; robots and extraction).")] = None,
    dispatch: Annotated[bool, typer.Option(
        "--dispatch/--no-dispatch", help="celery: send queued jobs to the broker from this worker.")] = True,
    redispatch_after: Annotated[float, typer.Option(
        help="celery: send a job again when its message is this old and it has not started (a lost message).",
        min=1.0)] = 600.0,
    visibility_timeout: Annotated[float, typer.Option(
        help="celery: seconds before the broker delivers an unacknowledged message again; longer than the longest "
        "job.", min=1.0)] = 7200.0,
) -> None:
    """Run jobs in worker processes until Ctrl-C or SIGTERM (or, with --drain, until none is left).

    The first Ctrl-C or SIGTERM stops taking jobs and lets running ones finish; a second one (or, for the local
    runner, the grace time running out) hands them back to the queue. With --runner celery the worker takes its
    jobs from the broker and runs on as many machines as needed (docs/cluster.md).
    """
    limits = _parse_limits(limit or [])
    if runner is Runner.LOCAL and (queues is not None or not dispatch):
        option = "--queues" if queues is not None else "--no-dispatch"
        fail(f"{option} is for --runner celery; the local runner takes its jobs from the database", 2)
    chosen = executor or DEFAULT_EXECUTOR
    if chosen in (ROBOT_EXECUTOR, DEFAULT_EXECUTOR_ROUTER):  # robots: each target's session limit, unless given
        from govauto.pipeline_executor import PROCESS_TARGET
        from govauto.robots.enqueue import robot_limits
        from govauto.runtime import Runtime

        try:  # processing jobs protect no outside system: as many at once as there are workers
            limits = {PROCESS_TARGET: UNLIMITED, **robot_limits(Runtime()), **limits}
        except GovautoError as error:
            fail(f"the robots cannot be loaded: {error}", 1)
        notify = notify or "govauto.robots.executor:notify_job_failed"
    bar = drain and out.is_terminal
    reporter: _ProgressBar | _PlainLines = _ProgressBar() if bar else _PlainLines()
    level = logging.WARNING if bar else logging.INFO
    configure_worker_logging(level)
    try:
        store = open_store(db)
    except StoreError as error:
        fail(str(error), 1)
    url = store.connect_url
    store.dispose()
    run: JobRunner
    if runner is Runner.CELERY:
        from govauto.jobs.celery_runner import CeleryConfig, CeleryRunner

        try:
            config = CeleryConfig(
                broker_url=broker or DEFAULT_BROKER_URL, store_url=url, executor=chosen, limits=limits,
                robot_limits=False, default_limit=default_limit, lease_seconds=lease_seconds,
                visibility_timeout=visibility_timeout, dispatch=dispatch, dispatch_interval=poll_interval or 2.0,
                redispatch_after=redispatch_after,
                artifacts_root=str(artifacts_dir.absolute()) if artifacts_dir is not None else None, notify=notify,
                grace_seconds=grace_seconds)
        except JobError as error:
            fail(str(error), 2)
        chosen_queues = _queues(queues)
        unknown = [name for name in chosen_queues or () if name not in config.queues()]
        if unknown:
            fail(f"--queues: no job goes to {', '.join(unknown)}; the queues are {', '.join(config.queues())}", 2)
        run = CeleryRunner(config, concurrency=concurrency, queues=chosen_queues, drain=drain,
                           on_progress=reporter.update, log_level=level, quiet=bar)
    else:
        run = LocalRunner(url, chosen, concurrency=concurrency, limits=limits, default_limit=default_limit,
                          lease_seconds=lease_seconds, poll_interval=poll_interval or 0.5, artifacts_root=artifacts_dir,
                          drain=drain, on_progress=reporter.update, notify=notify, grace_seconds=grace_seconds,
                          log_level=level)
    try:
        if isinstance(reporter, _ProgressBar):
            with reporter.progress:
                run.run()
        else:
            run.run()
    except ExecutorLoadError as error:
        fail(str(error), 2)
    except (StoreError, JobError, BrokerError) as error:
        fail(str(error), 1)
    if reporter.counts is not None:
        state = "no job is queued or running" if drain else "stopped"
        say(f"{state}: {_counts_line(reporter.counts)}", markup=False)
