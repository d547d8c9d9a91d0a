"""The portal's records: the ``applications`` table of an SQLite file that survives restarts."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

COLUMNS: Final = ("id", "receipt", "wbywh", "jyzxm", "zjlx", "zjhm", "lxdh", "jyzzs", "ztmc", "zzxs", "xzqh", "jycs",
                  "jyfw", "zczb", "cyrs", "sqrq", "upload_name", "upload_size", "upload_sha256", "username",
                  "session_id", "created_at")

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS applications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt       TEXT NOT NULL,
    wbywh         TEXT NOT NULL,
    jyzxm         TEXT NOT NULL,
    zjlx          TEXT NOT NULL,
    zjhm          TEXT NOT NULL,
    lxdh          TEXT NOT NULL,
    jyzzs         TEXT NOT NULL,
    ztmc          TEXT NOT NULL,
    zzxs          TEXT NOT NULL,
    xzqh          TEXT NOT NULL,
    jycs          TEXT NOT NULL,
    jyfw          TEXT NOT NULL,
    zczb          TEXT NOT NULL,
    cyrs          INTEGER NOT NULL,
    sqrq          TEXT NOT NULL,
    upload_name   TEXT,
    upload_size   INTEGER,
    upload_sha256 TEXT,
    username      TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS applications_zjhm ON applications (zjhm);
CREATE INDEX IF NOT EXISTS applications_wbywh ON applications (wbywh);
CREATE INDEX IF NOT EXISTS applications_receipt ON applications (receipt);
"""


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

    def insert(self, values: Mapping[str, Any], *, username: str, session_id: str) -> dict[str, Any]:
        """Store one application; gives it the next receipt of the day (``GT`` + YYYYMMDD + 5 digits).

        :returns: the stored record.
        """
        now = dt.datetime.now()
        prefix = f"GT{now:%Y%m%d}"
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT MAX(receipt) FROM applications WHERE receipt LIKE ?",
                                       (prefix + "%",)).fetchone()
                sequence = int(row[0][len(prefix):]) + 1 if row[0] else 1
                receipt = f"{prefix}{sequence:05d}"
                record = {
                    "receipt": receipt,
                    **{k: values[k] for k in ("wbywh", "jyzxm", "zjlx", "zjhm", "lxdh", "jyzzs", "ztmc", "zzxs",
                                              "xzqh", "jycs")},
                    "jyfw": json.dumps(list(values["jyfw"])),
                    "zczb": values["zczb"],
                    "cyrs": int(values["cyrs"]),
                    "sqrq": values["sqrq"],
                    "upload_name": values.get("upload_name"),
                    "upload_size": values.get("upload_size"),
                    "upload_sha256": values.get("upload_sha256"),
                    "username": username,
                    "session_id": session_id,
                    "created_at": f"{now:%Y-%m-%d %H:%M:%S}",
                }
                names = ", ".join(record)
                marks = ", ".join("?" for _ in record)
                cursor = db.execute(f"INSERT INTO applications ({names}) VALUES ({marks})",
                                          tuple(record.values()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return {"id": cursor.lastrowid, **record, "jyfw": list(values["jyfw"])}

    def all(self) -> list[dict[str, Any]]:
        """Every record, oldest first."""
        return self._select("SELECT * FROM applications ORDER BY id", ())

    def search(self, *, zjhm: str | None = None, wbywh: str | None = None) -> list[dict[str, Any]]:
        """Records whose 证件号码 and/or 外部业务号 equal the given ones (both must match when both are given)."""
        where: list[str] = []
        args: list[str] = []
        if zjhm:
            where.append("upper(zjhm) = upper(?)")
            args.append(zjhm)
        if wbywh:
            where.append("wbywh = ?")
            args.append(wbywh)
        if not where:
            return []
        return self._select(f"SELECT * FROM applications WHERE {' AND '.join(where)} ORDER BY id", tuple(args))

    def clear(self) -> None:
        """Delete every record."""
        with self._connect() as db:
            db.execute("DELETE FROM applications")

    def _select(self, sql: str, args: tuple[str, ...]) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute(sql, args).fetchall()
        records = []
        for row in rows:
            record = {k: row[k] for k in COLUMNS}
            record["jyfw"] = json.loads(record["jyfw"])
            records.append(record)
        return records
