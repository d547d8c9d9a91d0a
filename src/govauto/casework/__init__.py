"""Casework: the human side of review. Cases with versions, the review queue, reviewer accounts, working-day
deadlines and notices to applicants (``docs/casework.md``)::

    from govauto.casework import Accounts, CaseStore, HumanDecision, ReviewQueue, WorkCalendar

    record = CaseStore(store).intake(case, decision=decision, extractions=extractions, base_dir=base, actor="portal")
    queue = ReviewQueue(store, WorkCalendar.default())
    task = queue.open(record.case_id, record.version, reasons=["applicant.public_servant"],
                      findings=[f.to_dict() for f in decision.findings], group="440305", time_limit_days=3)
    queue.claim(task.id, "zhang")
    queue.decide(task.id, "zhang", HumanDecision("correct", kept_findings=["name.suffix"]))

Everything is stored in the project's database (:mod:`govauto.store`): ``case_versions`` and ``case_events``,
``review_tasks`` with ``review_task_details`` and ``task_events``, ``users`` and ``user_groups``, and the API
tokens of the systems that send cases (``api_tokens``, :class:`ApiTokens`).
"""

from __future__ import annotations

from govauto.casework.accounts import ROLES, SUPERVISOR_ROLES, SYSTEM_ACTOR, Accounts, Role, User
from govauto.casework.calendar import DEFAULT_HOLIDAYS_FILE, HOLIDAYS_ENV, Holiday, WorkCalendar
from govauto.casework.cases import CASE_STATUSES, OUTCOME_STATUS, CaseEvent, CaseRecord, CaseStatus, CaseStore
from govauto.casework.notices import (
    CORRECTION_CLOSING,
    REJECTION_CLOSING,
    Notice,
    NoticeItem,
    NoticeKind,
    correction_notice,
    items_from_findings,
    notice_items,
    rejection_notice,
)
from govauto.casework.tasks import (
    ACTIVE_STATUSES,
    ESCALATION_PRIORITY_STEP,
    TASK_STATUSES,
    HumanDecision,
    HumanOutcome,
    ReviewQueue,
    Task,
    TaskEvent,
    TaskStatus,
)
from govauto.casework.tokens import TOKEN_PREFIX, ApiToken, ApiTokens

__all__ = [
    "ACTIVE_STATUSES",
    "CASE_STATUSES",
    "CORRECTION_CLOSING",
    "DEFAULT_HOLIDAYS_FILE",
    "ESCALATION_PRIORITY_STEP",
    "HOLIDAYS_ENV",
    "OUTCOME_STATUS",
    "REJECTION_CLOSING",
    "ROLES",
    "SUPERVISOR_ROLES",
    "SYSTEM_ACTOR",
    "TASK_STATUSES",
    "TOKEN_PREFIX",
    "Accounts",
    "ApiToken",
    "ApiTokens",
    "CaseEvent",
    "CaseRecord",
    "CaseStatus",
    "CaseStore",
    "Holiday",
    "HumanDecision",
    "HumanOutcome",
    "Notice",
    "NoticeItem",
    "NoticeKind",
    "ReviewQueue",
    "Role",
    "Task",
    "TaskEvent",
    "TaskStatus",
    "User",
    "WorkCalendar",
    "correction_notice",
    "items_from_findings",
    "notice_items",
    "rejection_notice",
]
