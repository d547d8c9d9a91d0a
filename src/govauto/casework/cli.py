"""``govauto tasks``: the review queue from the command line (supervisors and ops): list, assign, escalate."""

from __future__ import annotations

import json
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from govauto.casework.calendar import WorkCalendar
from govauto.casework.tasks import ACTIVE_STATUSES, ReviewQueue, Task
from govauto.errors import GovautoError, TaskNotFoundError
from govauto.privacy import mask_id_numbers
from govauto.store import DATABASE_URL_ENV, open_store

tasks_app = typer.Typer(no_args_is_help=True,
                        help="The review queue: list tasks, assign them, escalate overdue ones (supervisors, ops).")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_DB = typer.Option("--db", envvar=DATABASE_URL_ENV, show_envvar=False, show_default=False,
                   help=f"Database URL (default: ${DATABASE_URL_ENV}, else sqlite:///$GOVAUTO_HOME/govauto.db).")


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"error: {mask_id_numbers(message)}", markup=False)
    raise typer.Exit(code)


def _queue(db: str | None) -> ReviewQueue:
    try:
        return ReviewQueue(open_store(db), WorkCalendar.default())
    except GovautoError as error:
        _fail(str(error), 1)


def _row(task: Task) -> dict[str, object]:
    return {"id": task.id, "case_id": task.case_id, "version": task.case_version, "group": task.group,
            "status": task.status, "assignee": task.assignee, "priority": task.priority,
            "due_at": task.due_at.isoformat() if task.due_at else None, "escalated": task.escalated,
            "reasons": list(task.reasons), "source": task.source}


def _print(tasks: list[Task], as_json: bool) -> None:
    if as_json:
        for task in tasks:
            print(mask_id_numbers(json.dumps(_row(task), ensure_ascii=False)))
        return
    table = Table(show_edge=False)
    for column in ("task", "case", "group", "status", "assignee", "prio", "due", "reasons"):
        table.add_column(column)
    for task in tasks:
        due = task.due_at.strftime("%Y-%m-%d %H:%M") if task.due_at else "—"
        table.add_row(task.id, f"{task.case_id} v{task.case_version or '-'}", task.group, task.status,
                      task.assignee or "—", str(task.priority), due + (" !" if task.escalated else ""),
                      mask_id_numbers(", ".join(task.reasons)))
    out.print(table)


@tasks_app.command("list")
def list_tasks(
    group: Annotated[list[str] | None, typer.Option(help="Only these groups (repeatable).")] = None,
    assignee: Annotated[str | None, typer.Option(help="Only tasks held by this user.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue tasks.")] = False,
    all_statuses: Annotated[bool, typer.Option("--all", help="Decided and closed tasks too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per task and line.")] = False,
    db: Annotated[str | None, _DB] = None,
) -> None:
    """List review tasks (active ones by default), highest priority and earliest due first."""
    queue = _queue(db)
    tasks = queue.list(status=None if all_statuses else ACTIVE_STATUSES, assignee=assignee, groups=group,
                       overdue=True if overdue else None)
    _print(tasks, as_json)


@tasks_app.command("assign")
def assign(
    task_id: Annotated[str, typer.Argument(help="The task.", show_default=False)],
    user: Annotated[str | None, typer.Argument(help="Who gets it (omit with --least-loaded).")] = None,
    least_loaded: Annotated[str | None, typer.Option(
        "--least-loaded", metavar="GROUP", help="Give it to the member of GROUP with the fewest open tasks.")] = None,
    by: Annotated[str, typer.Option(help="Who assigns (a supervisor or admin account; 'system' for scripts).")]
    = "system",
    db: Annotated[str | None, _DB] = None,
) -> None:
    """Assign a task to a reviewer, or to the least-loaded member of a group. Exit 2 for an unknown task or a
    user who may not take it."""
    if (user is None) == (least_loaded is None):
        _fail("give a USER or --least-loaded GROUP (one of them)", 2)
    queue = _queue(db)
    try:
        task = queue.assign(task_id, user, by) if user else queue.assign_least_loaded(task_id, str(least_loaded), by)
    except TaskNotFoundError as error:
        _fail(str(error), 2)
    except GovautoError as error:
        _fail(str(error), 2)
    out.print(f"{task.id} ({task.case_id}) → {task.assignee}", markup=False)


@tasks_app.command("escalate")
def escalate(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per escalated task and line.")] = False,
    db: Annotated[str | None, _DB] = None,
) -> None:
    """Escalate every overdue open task now (raised priority, its group's supervisors). govauto serve does this
    every few minutes; run it from cron when no server runs."""
    tasks = _queue(db).escalate_overdue()
    if as_json or tasks:
        _print(tasks, as_json)
    if not as_json:
        out.print(f"{len(tasks)} task(s) escalated", markup=False)
