"""The built-in ``govauto_review_requested``: a referred case becomes a task in the project's review queue.

Disable it with ``GOVAUTO_DISABLE_PLUGINS=govauto.default_plugins.review_queue`` when a plugin of yours routes
referrals elsewhere instead (a ticket system); keep it to route them there as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govauto.plugins import hookimpl

if TYPE_CHECKING:
    from govauto.model import Case
    from govauto.pipeline import ReviewRequest


@hookimpl
def govauto_review_requested(case: Case, task: ReviewRequest) -> None:
    from govauto.casework import ReviewQueue, WorkCalendar

    opened = ReviewQueue(task.store, WorkCalendar.default()).open(
        task.case_id, task.version, reasons=list(task.reasons), findings=[dict(f) for f in task.findings],
        group=task.group, priority=task.priority, time_limit_days=task.time_limit_days, sensitive=task.sensitive,
        source=task.source, message=task.message, start=task.submitted_at)
    task.opened.append(opened.id)
