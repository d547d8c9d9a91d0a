"""Review tasks: the minimal record of "a person must look at this case" (a later issue extends it)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from govauto.store._store import Store
from govauto.store.schema import review_tasks

__all__ = ["ReviewTask", "insert_review_task", "list_review_tasks", "new_id"]


def new_id(prefix: str) -> str:
    """A unique id that sorts by creation time: ``prefix`` + microseconds since 1970 (13 hex) + 6 random hex."""
    return f"{prefix}{time.time_ns() // 1000:013x}{secrets.token_hex(3)}"


@dataclass(frozen=True)
class ReviewTask:
    """A case handed to a person: why (``reason``, e.g. ``robot.business_error``), by whom (``source``)."""

    id: str
    case_id: str
    job_id: str | None
    source: str
    reason: str
    message: str
    detail: dict[str, Any]
    status: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> ReviewTask:
        m = row._mapping
        return cls(id=m["id"], case_id=m["case_id"], job_id=m["job_id"], source=m["source"], reason=m["reason"],
                   message=m["message"], detail=m["detail"], status=m["status"], created_at=m["created_at"])


def insert_review_task(conn: Connection, *, case_id: str, job_id: str | None, source: str, reason: str,
                       message: str, detail: dict[str, Any], now: datetime) -> str:
    """Insert an open review task in the caller's transaction and return its id."""
    task_id = new_id("R")
    conn.execute(review_tasks.insert().values(id=task_id, case_id=case_id, job_id=job_id, source=source,
                                              reason=reason, message=message, detail=detail, status="open",
                                              created_at=now))
    return task_id


def list_review_tasks(store: Store, *, case_id: str | None = None, job_id: str | None = None,
                      status: str | None = None) -> list[ReviewTask]:
    """Review tasks, oldest first, optionally only those of one case, one job or one status."""
    query = select(review_tasks).order_by(review_tasks.c.created_at, review_tasks.c.id)
    if case_id is not None:
        query = query.where(review_tasks.c.case_id == case_id)
    if job_id is not None:
        query = query.where(review_tasks.c.job_id == job_id)
    if status is not None:
        query = query.where(review_tasks.c.status == status)
    with store.begin() as conn:
        return [ReviewTask.from_row(row) for row in conn.execute(query)]
