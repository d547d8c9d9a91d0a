"""``govauto audit ...``: read a case's audit trail and check that the chain is intact.

Every line printed goes through :func:`govauto.privacy.mask_id_numbers` (the stored records keep ID numbers as
they are: the law requires the facts a decision used). ``--json`` output is UTF-8 with times in ISO 8601 UTC:
``show --json`` prints one object per record and line (JSON Lines), ``verify --json`` and ``head --json`` one
object.

Exit codes: ``show``: 0 records printed, 2 no record names the case; ``verify``: 0 the chain is intact, 1 it is
not (every problem is listed); every command: 1 the database cannot be used, 2 bad input (a malformed anchor).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from govauto.audit import Anchor, AuditTrail, summarise_detail
from govauto.errors import AuditError, GovautoError, StoreError
from govauto.privacy import mask_id_numbers
from govauto.store import DATABASE_URL_ENV, open_store

__all__ = ["audit_app"]

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail: show a case's records, verify the chain.")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_DB_KEY = "govauto.audit.db"
_DB_HELP = f"Database URL (default: ${DATABASE_URL_ENV}, else sqlite:///$GOVAUTO_HOME/govauto.db)."


def _say(text: str, *, markup: bool = True, stderr: bool = False) -> None:
    (err if stderr else out).print(mask_id_numbers(text), markup=markup)


def _print_json(value: Any) -> None:
    print(mask_id_numbers(json.dumps(value, ensure_ascii=False, default=str)))


def _fail(message: str, code: int) -> NoReturn:
    _say(f"error: {message}", markup=False, stderr=True)
    raise typer.Exit(code)


def _trail(ctx: typer.Context) -> AuditTrail:
    try:
        return AuditTrail(open_store(ctx.meta.get(_DB_KEY)))
    except StoreError as error:
        _fail(str(error), 1)


@audit_app.callback()
def _audit(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
) -> None:
    """The audit trail: show a case's records, verify the chain."""
    ctx.meta[_DB_KEY] = db


@audit_app.command("show")
def show_command(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="CASE", help="The case id.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per record, one per line.")] = False,
) -> None:
    """Show a case's audit records in chain order: seq, time, actor, action, version, a summary of the detail."""
    trail = _trail(ctx)
    try:
        records = trail.for_case(case_id)
    except GovautoError as error:
        _fail(str(error), 1)
    if not records:
        _fail(f"no audit record names the case {case_id!r}; check the case id (as in the case file)", 2)
    if as_json:
        for record in records:
            _print_json(record.to_dict())
        return
    _say(f"audit trail of case {case_id}: {len(records)} record(s), times in local time", markup=False)
    for record in records:
        when = record.at.astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
        version = "" if record.case_version is None else f" v{record.case_version}"
        summary = summarise_detail(record.detail, width=160)
        _say(f"#{record.seq:<5} {when}  {record.actor}  {record.action}{version}" + (f"  {summary}" if summary else ""),
             markup=False)


@audit_app.command("verify")
def verify_command(
    ctx: typer.Context,
    anchor: Annotated[list[str] | None, typer.Option(
        metavar="SEQ:HASH", help="A head printed earlier by `govauto audit head` (repeatable): that record must "
        "still exist with that hash, so cutting or rewriting the chain is detected.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object: ok, records, head, problems.")] = False,
) -> None:
    """Walk the whole chain, recomputing every hash: exit 0 when it is intact, 1 listing every problem."""
    try:
        anchors = [Anchor.parse(value) for value in anchor or []]
    except AuditError as error:
        _fail(str(error), 2)
    trail = _trail(ctx)
    try:
        report = trail.verify(anchors=anchors)
    except GovautoError as error:
        _fail(str(error), 1)
    if as_json:
        _print_json(report.to_dict())
    elif report.ok:
        head = f" (head {report.head})" if report.head is not None else ""
        _say(f"chain intact: {report.records} records{head}", markup=False)
    else:
        _say(f"chain broken: {len(report.problems)} problem(s) in {report.records} records", markup=False)
        for problem in report.problems:
            _say(f"  {problem}", markup=False)
        _say("restore the database from a backup and find out who changed it; the records named above cannot be "
             "trusted", markup=False, stderr=True)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("head")
def head_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object: seq, hash.")] = False,
) -> None:
    """Print the last record's SEQ:HASH: keep it outside the database and pass it to `verify --anchor` later."""
    trail = _trail(ctx)
    try:
        head = trail.head()
    except GovautoError as error:
        _fail(str(error), 1)
    if as_json:
        _print_json(None if head is None else {"seq": head.seq, "hash": head.hash})
    elif head is None:
        _say("the audit trail is empty: no head yet", markup=False, stderr=True)
    else:
        _say(str(head), markup=False)
