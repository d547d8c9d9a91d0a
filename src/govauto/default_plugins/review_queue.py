"""The built-in ``govauto_review_requested``: a referred case becomes a task in the project's review queue.

Disable it with ``GOVAUTO_DISABLE_PLUGINS=govauto.default_plugins.review_queue`` when a plugin of yours routes
referrals elsewhere instead (a ticket system); keep it to route them there as well.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from govauto.plugins import hookimpl

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from govauto.model import Case
    from govauto.pipeline import ReviewRequest


@hookimpl
def govauto_review_requested(case: Case, task: ReviewRequest) -> None:
    from govauto.casework import ReviewQueue, WorkCalendar
    from govauto.errors import CalendarError

    if task.source == "robot":  # the job store opened it with the job's final state, in the same transaction
        return

    queue = ReviewQueue(task.store, WorkCalendar.default())

    def open_task(time_limit_days: int | None, message: str) -> str:
        return queue.open(task.case_id, task.version, reasons=list(task.reasons),
                          findings=[dict(f) for f in task.findings], group=task.group, priority=task.priority,
                          time_limit_days=time_limit_days, sensitive=task.sensitive, source=task.source,
                          message=message, start=task.submitted_at).id

    try:
        task.opened.append(open_task(task.time_limit_days, task.message))
    except CalendarError as error:  # no holiday data for the year the deadline falls in: never lose the referral
        log.warning("case %s: no due time: %s", task.case_id, error)
        task.opened.append(open_task(None, f"{task.message} [no due time: {error}]".strip()))
