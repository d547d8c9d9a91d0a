"""Reading the CSV export of a names registry and loading it into the SQLite file.

The CSV has a header row and the columns ``name,division,status,date`` (in any order; other columns are
ignored)::

    name,division,status,date
    深圳市南山区李四五金店（个体工商户）,440305,registered,2019-03-12

``status`` is ``registered``, ``reserved`` or ``cancelled`` and ``date`` (``YYYY-MM-DD``) is the day that
status began. Every row is checked before anything is written; the file is refused with every bad row listed
(``file:line: problem``). Importing into an existing database updates it: for a name already stored in the
same area the row with the later date wins (a cancellation after a registration, a new registration after an
old cancellation).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

from govauto import GovautoError

from govauto_name_registry import store
from govauto_name_registry.names import STATUSES, Entry, Status, division_problem, normalise_name

COLUMNS: Final = ("name", "division", "status", "date")
DEFAULT_ENCODING: Final = "utf-8-sig"
_SHOWN_PROBLEMS: Final = 20
_EXTRA: Final = "\0extra"  # DictReader key of the fields beyond the header


class NameImportError(GovautoError):
    """A CSV file or a target database was refused; ``problems`` lists every defect (``file:line: ...``)."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[:_SHOWN_PROBLEMS]
        more = len(self.problems) - len(shown)
        lines = "\n".join(f"  {p}" for p in shown) + (f"\n  … and {more} more" if more > 0 else "")
        super().__init__(f"nothing was imported ({len(self.problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    database: Path
    rows: int
    """Rows read from the CSV file."""
    names: int
    """Names the database holds afterwards."""


def parse_csv(lines: Iterable[str], source: str) -> list[Entry]:
    """Check and convert CSV text (an iterable of lines, e.g. an open file) into entries.

    :param source: the file name used in problem messages.
    :raises NameImportError: listing every bad row by ``source:line``.
    """
    reader = csv.DictReader(lines, restkey=_EXTRA)
    problems: list[str] = []
    header = reader.fieldnames
    if header is None:
        raise NameImportError([f"{source}:1: the file is empty; expected the header {','.join(COLUMNS)}"])
    missing = [c for c in COLUMNS if c not in {h.strip().lower() for h in header}]
    if missing:
        raise NameImportError([f"{source}:1: missing column(s) {', '.join(missing)} in the header "
                               f"{','.join(header)!r}; expected {','.join(COLUMNS)}"])
    reader.fieldnames = [h.strip().lower() for h in header]
    entries: list[Entry] = []
    try:
        for row in reader:
            _check_row(row, f"{source}:{reader.line_num}", len(header), entries, problems)
    except csv.Error as exc:
        problems.append(f"{source}:{reader.line_num}: not valid CSV: {exc}")
    if problems:
        raise NameImportError(problems)
    return entries


def _check_row(row: dict[str, str | None], where: str, width: int, entries: list[Entry], problems: list[str]) -> None:
    if _EXTRA in row:
        problems.append(f"{where}: the row has more fields than the header ({width})")
        return
    values = {c: (row.get(c) or "").strip() for c in COLUMNS}
    if not any((v or "").strip() for v in row.values()):
        return  # a row of empty fields
    found: list[str] = []
    name = values["name"]
    if not normalise_name(name):
        found.append("name is empty")
    problem = division_problem(values["division"])
    if problem:
        found.append(problem)
    status = values["status"].lower()
    if status not in STATUSES:
        found.append(f"status must be one of {', '.join(STATUSES)}, got {values['status']!r}")
    day: dt.date | None = None
    try:
        day = dt.date.fromisoformat(values["date"])
    except ValueError:
        found.append(f"date must be a date like 2026-11-25, got {values['date']!r}")
    if found or day is None:
        problems.extend(f"{where}: {p}" for p in found)
        return
    entries.append(Entry(name, values["division"], cast(Status, status), day))


def read_csv(path: str | os.PathLike[str], encoding: str = DEFAULT_ENCODING) -> list[Entry]:
    """Read and check a CSV file (see the module documentation for its columns).

    :param encoding: the file's text encoding; exports from older systems are often ``gb18030``.
    :raises NameImportError: when the file cannot be read or any row is wrong.
    """
    source = os.fspath(path)
    try:
        with open(path, encoding=encoding, newline="") as text:
            return parse_csv(text, source)
    except FileNotFoundError:
        raise NameImportError([f"{source}: no such file"]) from None
    except UnicodeDecodeError as exc:
        raise NameImportError([f"{source}: the file is not {encoding} text ({exc.reason} at byte {exc.start}); "
                               f"give its encoding with --encoding, e.g. --encoding gb18030"]) from None
    except LookupError:
        raise NameImportError([f"{source}: unknown text encoding {encoding!r}"]) from None
    except OSError as exc:
        raise NameImportError([f"{source}: cannot be read: {exc.strerror or exc}"]) from None


def import_entries(entries: Iterable[Entry], database: str | os.PathLike[str],
                   timeout: float = store.DEFAULT_TIMEOUT) -> int:
    """Create or update a registry database with ``entries``, in one transaction.

    :returns: how many names the database holds afterwards.
    :raises NameImportError: when the database cannot be written or is not a name registry.
    """
    path = Path(database)
    where = os.fspath(database)
    if path.exists() and not path.is_file():
        raise NameImportError([f"{where}: is not a file"])
    if not path.parent.is_dir():
        raise NameImportError([f"{where}: the directory {path.parent} does not exist"])
    try:
        with closing(sqlite3.connect(path, timeout=timeout, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if not store.is_blank(conn):
                    store.check(conn)
                store.initialise(conn)
                store.upsert(conn, entries)
                total = store.count(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return total
    except store.SchemaMismatch as exc:
        raise NameImportError([f"{where}: {exc}; refusing to change it (import into a new file)"]) from None
    except sqlite3.DatabaseError as exc:
        raise NameImportError([f"{where}: cannot be updated: {_sqlite_reason(exc)}"]) from exc


def import_csv(csv_path: str | os.PathLike[str], database: str | os.PathLike[str],
               encoding: str = DEFAULT_ENCODING) -> ImportResult:
    """Check a CSV file and load it into a registry database (created if missing, updated if not).

    Nothing is written unless every row is valid.

    :raises NameImportError: listing every bad row (``file:line: problem``), or what is wrong with the database.
    """
    entries = read_csv(csv_path, encoding)
    total = import_entries(entries, database)
    return ImportResult(Path(database), len(entries), total)


def _sqlite_reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"the file is corrupt or not a SQLite database ({text})"
    if "locked" in text or "busy" in text:
        return f"the database is locked by another process ({text})"
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return f"the file cannot be written (check its permissions) ({text})"
    return text
