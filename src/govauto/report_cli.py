"""``govauto report``: KPIs for the PDCA loop, as text, JSON, CSV files or an HTML page with charts.

Exit codes: 0 the report was made (an empty period too: it says so), 1 the database cannot be used or a file
cannot be written, 2 bad input (a date that is not YYYY-MM-DD, a period that ends before it starts).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from govauto.errors import GovautoError
from govauto.privacy import mask_id_numbers
from govauto.report import build_report
from govauto.store import DATABASE_URL_ENV, open_store

__all__ = ["report_command"]

err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"error: {mask_id_numbers(message)}", markup=False)
    raise typer.Exit(code)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        _fail(f"{option} {value!r} is not a date: write it like 2026-11-01 (a China date, UTC+8)", 2)


def report_command(
    start: Annotated[str | None, typer.Option("--from", metavar="DATE", show_default=False,
                                              help="First day of the period (YYYY-MM-DD, China date, inclusive; "
                                                   "default: the first case).")] = None,
    end: Annotated[str | None, typer.Option("--to", metavar="DATE", show_default=False,
                                            help="Last day of the period (YYYY-MM-DD, China date, inclusive; "
                                                 "default: today).")] = None,
    matter: Annotated[str | None, typer.Option("--matter", metavar="M", show_default=False,
                                               help="Only this matter's cases, e.g. sole_proprietor.establish.")]
    = None,
    html_file: Annotated[Path | None, typer.Option("--html", metavar="FILE", show_default=False, dir_okay=False,
                                                   help="Write a self-contained HTML report with charts "
                                                        "(works offline).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")] = False,
    csv_dir: Annotated[Path | None, typer.Option("--csv", metavar="DIR", show_default=False, file_okay=False,
                                                 help="Write one CSV file per table into DIR.")] = None,
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, show_envvar=False, show_default=False,
                                           help=f"Database URL (default: ${DATABASE_URL_ENV}, else "
                                                "sqlite:///$GOVAUTO_HOME/govauto.db).")] = None,
) -> None:
    """KPIs of the cases taken in during a period: outcomes, straight-through rate, time per stage, referrals,
    补正 rate by rule, SLA breaches, human overrides by rule, robot failures by error kind."""
    first, last = _date(start, "--from"), _date(end, "--to")
    if first and last and first > last:
        _fail(f"the period starts ({first}) after it ends ({last}): swap --from and --to", 2)
    try:
        report = build_report(open_store(db), start=first, end=last, matter=matter)
    except GovautoError as error:
        _fail(str(error), 1)
    try:
        if csv_dir is not None:
            files = report.write_csv(csv_dir)
            err.print(f"wrote {len(files)} CSV file(s) to {csv_dir}", markup=False)
        if html_file is not None:
            html_file.parent.mkdir(parents=True, exist_ok=True)
            html_file.write_text(report.to_html(), encoding="utf-8")
            err.print(f"wrote {html_file}", markup=False)
    except OSError as error:
        _fail(f"cannot write the report: {error}", 1)
    if as_json:
        print(report.to_json())
    else:
        print(report.to_text(), end="")
