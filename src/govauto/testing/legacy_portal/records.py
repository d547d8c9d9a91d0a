"""The portal's records: one SQLite table per form (``applications`` for 设立登记, ``change_applications`` for
变更登记, ``deregister_applications`` for 注销登记) in a file that survives restarts."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

APPLICATION_KINDS: Final = ("establish", "change", "deregister")
"""The kinds of application the portal takes, one form and one table each."""

COLUMNS: Final = ("id", "receipt", "wbywh", "jyzxm", "zjlx", "zjhm", "lxdh", "jyzzs", "ztmc", "zzxs", "xzqh", "jycs",
                  "jyfw", "zczb", "cyrs", "sqrq", "upload_name", "upload_size", "upload_sha256", "username",
                  "session_id", "created_at")
"""The columns of ``applications`` (设立登记)."""

CHANGE_COLUMNS: Final = ("id", "receipt", "wbywh", "tyxydm", "ztmc", "jyzxm", "zjlx", "zjhm", "lxdh", "bgsx", "xztmc",
                         "xjyzxm", "xzjhm", "xjyzzs", "xjycs", "xxzqh", "xjyfw", "xzzxs", "xzczb", "xcyrs", "sqrq",
                         "upload_name", "upload_size", "upload_sha256", "username", "session_id", "created_at")
"""The columns of ``change_applications`` (变更登记)."""

DEREGISTER_COLUMNS: Final = ("id", "receipt", "wbywh", "tyxydm", "ztmc", "jyzxm", "zjlx", "zjhm", "lxdh", "zxlx",
                             "zxyy", "qsbj", "cnsx", "gsqsrq", "gsjzrq", "yysl", "sqrq", "upload_name", "upload_size",
                             "upload_sha256", "username", "session_id", "created_at")
"""The columns of ``deregister_applications`` (注销登记)."""

_TYPES: Final = {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "cyrs": "INTEGER NOT NULL", "xcyrs": "INTEGER",
                  "qsbj": "INTEGER NOT NULL", "yysl": "INTEGER", "upload_name": "TEXT", "upload_size": "INTEGER",
                  "upload_sha256": "TEXT"}
"""Each column's SQL type where it is not ``TEXT NOT NULL``."""


def _create_table(name: str, columns: tuple[str, ...], indexed: tuple[str, ...]) -> str:
    lines = ",\n".join(f"    {column:<13} {_TYPES.get(column, 'TEXT NOT NULL')}" for column in columns)
    indexes = "".join(f"CREATE INDEX IF NOT EXISTS {name}_{column} ON {name} ({column});\n" for column in indexed)
    return f"\nCREATE TABLE IF NOT EXISTS {name} (\n{lines}\n);\n{indexes}"


_SCHEMA: Final = (_create_table("applications", COLUMNS, ("zjhm", "wbywh", "receipt"))
                  + _create_table("change_applications", CHANGE_COLUMNS, ("zjhm", "wbywh", "tyxydm"))
                  + _create_table("deregister_applications", DEREGISTER_COLUMNS, ("zjhm", "wbywh", "tyxydm")))


@dataclass(frozen=True)
class _Table:
    name: str
    prefix: str
    """The receipt's prefix: the receipt is it + YYYYMMDD + a 5-digit sequence of the day."""
    columns: tuple[str, ...]
    lists: tuple[str, ...] = ()
    """Columns holding a list of codes, stored as JSON."""
    flags: tuple[str, ...] = ()
    """Columns holding a yes/no, stored as 0/1."""


TABLES: Final[Mapping[str, _Table]] = {
    "establish": _Table("applications", "GT", COLUMNS, lists=("jyfw",)),
    "change": _Table("change_applications", "BG", CHANGE_COLUMNS, lists=("bgsx", "xjyfw")),
    "deregister": _Table("deregister_applications", "ZX", DEREGISTER_COLUMNS, lists=("cnsx",), flags=("qsbj",)),
}
"""Each kind of application's table."""

RECEIPT_PREFIXES: Final = {kind: table.prefix for kind, table in TABLES.items()}
"""The receipt prefix of each kind: ``GT`` (设立), ``BG`` (变更), ``ZX`` (注销)."""


def _table(kind: str) -> _Table:
    try:
        return TABLES[kind]
    except KeyError:
        raise ValueError(f"kind: unknown kind of application {kind!r}; "
                         f"one of {', '.join(APPLICATION_KINDS)}") from None


class RecordStore:
    """The SQLite file, opened for each operation behind a lock shared by the server's threads.

    The file (and its directory) is created when missing; records survive restarts.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30.0)
            try:
                db.row_factory = sqlite3.Row
                yield db
            finally:
                db.close()

    def insert(self, values: Mapping[str, Any], *, username: str, session_id: str,
               kind: str = "establish") -> dict[str, Any]:
        """Store one application of ``kind``; gives it the next receipt of the day (its prefix + YYYYMMDD +
        5 digits: ``GT2026112500001``, ``BG…``, ``ZX…``).

        :returns: the stored record, as :meth:`all` gives it.
        """
        table = _table(kind)
        now = dt.datetime.now()
        prefix = f"{table.prefix}{now:%Y%m%d}"
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(f"SELECT MAX(receipt) FROM {table.name} WHERE receipt LIKE ?",
                                 (prefix + "%",)).fetchone()
                sequence = int(row[0][len(prefix):]) + 1 if row[0] else 1
                record: dict[str, Any] = {"receipt": f"{prefix}{sequence:05d}"}
                for column in table.columns:
                    if column in ("id", "receipt"):
                        continue
                    if column in table.lists:
                        record[column] = json.dumps(list(values[column]))
                    elif column in table.flags:
                        record[column] = int(bool(values[column]))
                    elif column in ("username", "session_id", "created_at"):
                        continue
                    else:
                        record[column] = values.get(column)
                record.update(username=username, session_id=session_id, created_at=f"{now:%Y-%m-%d %H:%M:%S}")
                names = ", ".join(record)
                marks = ", ".join("?" for _ in record)
                cursor = db.execute(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", tuple(record.values()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self._decode(table, {"id": cursor.lastrowid, **record})

    def all(self, kind: str = "establish") -> list[dict[str, Any]]:
        """Every record of one kind, oldest first."""
        table = _table(kind)
        return self._select(table, f"SELECT * FROM {table.name} ORDER BY id", ())

    def search(self, *, zjhm: str | None = None, wbywh: str | None = None, tyxydm: str | None = None,
               kind: str = "establish") -> list[dict[str, Any]]:
        """Records of one kind whose 证件号码, 外部业务号 and/or 统一社会信用代码 equal the given ones (every one
        given must match; a 设立 record has no 统一社会信用代码 yet, so none matches one)."""
        table = _table(kind)
        where: list[str] = []
        args: list[str] = []
        if zjhm:
            where.append("upper(zjhm) = upper(?)")
            args.append(zjhm)
        if wbywh:
            where.append("wbywh = ?")
            args.append(wbywh)
        if tyxydm:
            if "tyxydm" not in table.columns:
                return []
            where.append("upper(tyxydm) = upper(?)")
            args.append(tyxydm)
        if not where:
            return []
        return self._select(table, f"SELECT * FROM {table.name} WHERE {' AND '.join(where)} ORDER BY id",
                            tuple(args))

    def clear(self) -> None:
        """Delete every record, of every kind."""
        with self._connect() as db:
            for table in TABLES.values():
                db.execute(f"DELETE FROM {table.name}")

    def _select(self, table: _Table, sql: str, args: tuple[str, ...]) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute(sql, args).fetchall()
        return [self._decode(table, {k: row[k] for k in table.columns}) for row in rows]

    @staticmethod
    def _decode(table: _Table, record: dict[str, Any]) -> dict[str, Any]:
        for column in table.lists:
            record[column] = json.loads(record[column])
        for column in table.flags:
            record[column] = bool(record[column])
        return record
