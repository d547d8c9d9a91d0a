"""The command line: ``python -m govauto_name_registry import CSV DB`` and ``... check NAME DIVISION``.

Exit codes: ``import`` 0 when the database was written; ``check`` 0 when the name is available, 1 when it is
taken; 2 for any error (a bad CSV row, a wrong division, a missing or unreadable database), with the reason on
standard error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from govauto import LookupUnavailableError

from govauto_name_registry.importer import DEFAULT_ENCODING, NameImportError, import_csv
from govauto_name_registry.names import Entry, division_problem, normalise_name
from govauto_name_registry.registry import ENV_VAR, NameRegistry

EXIT_OK = 0
EXIT_TAKEN = 1
EXIT_ERROR = 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-11-25: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m govauto_name_registry",
                                     description="The business-name registry used by govauto reviews.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    load = commands.add_parser(
        "import", help="create or update a registry database from a CSV file",
        description="Create or update the SQLite registry DB from CSV (columns name,division,status,date; status "
                    "registered, reserved or cancelled; date YYYY-MM-DD, the day the status began). Every row is "
                    "checked first; nothing is written if one is wrong. For a name already in DB, the row with "
                    "the later date wins.")
    load.add_argument("csv", type=Path, metavar="CSV")
    load.add_argument("db", type=Path, metavar="DB")
    load.add_argument("--encoding", default=DEFAULT_ENCODING,
                      help=f"text encoding of the CSV file (default {DEFAULT_ENCODING}; e.g. gb18030)")
    check = commands.add_parser(
        "check", help="tell whether a name is taken in an area",
        description="Tell whether NAME is registered, reserved or cancelled less than a year ago in the area "
                    "DIVISION (6-digit GB/T 2260 code). Exit 0: available; 1: taken; 2: error.")
    check.add_argument("name", metavar="NAME")
    check.add_argument("division", metavar="DIVISION")
    check.add_argument("--db", type=Path, default=None,
                       help=f"the registry database (default: ${ENV_VAR}, or the shipped sample when unset)")
    check.add_argument("--today", type=_date, default=None,
                       help="count the one-year period after a cancellation back from this date (YYYY-MM-DD)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "import":
            return _import(args.csv, args.db, args.encoding)
        return _check(args.name, args.division, args.db, args.today)
    except (NameImportError, LookupUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _import(csv_path: Path, db: Path, encoding: str) -> int:
    result = import_csv(csv_path, db, encoding)
    print(f"imported {result.rows} row(s) from {csv_path} into {db}; it now holds {result.names} name(s)")
    return EXIT_OK


def _check(name: str, division: str, db: Path | None, today: dt.date | None) -> int:
    problem = division_problem(division.strip())
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    if not normalise_name(name):
        print("error: the name is empty", file=sys.stderr)
        return EXIT_ERROR
    registry = NameRegistry(db, today=today) if db is not None else NameRegistry.from_environment(today=today)
    if registry.path is None:
        print(f"note: using {registry.source}; set {ENV_VAR} or give --db to use a real registry", file=sys.stderr)
    entry = registry.lookup(name, division.strip())
    print(_verdict(name, division.strip(), entry, registry.today()))
    return EXIT_TAKEN if entry is not None and entry.blocks(registry.today()) else EXIT_OK


def _verdict(name: str, division: str, entry: Entry | None, today: dt.date) -> str:
    if entry is None:
        return f"available: no name like “{name}” is registered, reserved or cancelled in {division}"
    stored = f"“{entry.name}”"
    if entry.status == "cancelled":
        free_from = entry.free_from
        if entry.blocks(today):
            return (f"taken: {stored} was cancelled in {division} on {entry.date}; it cannot be used again before "
                    f"{free_from}")
        return f"available: {stored} was cancelled in {division} on {entry.date}, more than a year ago"
    return f"taken: {stored} is {entry.status} in {division} (since {entry.date})"


if __name__ == "__main__":
    sys.exit(main())
