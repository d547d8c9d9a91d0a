"""The review queue: cases handed to people, who claims them, who decides, who confirms, and by when.

One queue holds the tasks the review pipeline opens (a referred case, a field read with low confidence ...) and
those robot jobs open (``source`` ``robot``: the legacy system refused the data). Every transition is appended
to ``task_events`` (who, when, what)::

    open ──claim──► claimed ──decide──► decided                     (not sensitive)
     │  ◄─release──┘   │        └─────► awaiting_confirmation ──confirm (another person)──► decided
     └──assign──► assigned ◄──────────────────────────────────────── refuse_confirmation
    (escalate_overdue: past due → escalated, priority raised, assigned to a supervisor of the group)
    (a resubmission of the case, or a robot job retried by ops: → closed)

Statuses: ``open`` (nobody holds it), ``claimed`` (a reviewer took it), ``assigned`` (a supervisor, the
escalation or a referral gave it to someone), ``awaiting_confirmation`` (four-eyes), ``decided``, ``closed``
(ended without a decision here). ``escalated`` is a flag beside the status.

Who may do what:

- a user acts on the tasks of their groups; supervisors and admins act on every group's tasks;
- assigning and routing a task to another group is for supervisors and admins (and govauto's own steps);
- a decision is **sensitive** when the task is marked sensitive, when it overrides the machine's ``reject``,
  or when its outcome is listed for the case's matter in ``sensitive_outcomes``; it then waits for a second
  person. Who confirms is the queue's ``confirmation`` policy: ``"group"`` (default) any other active user who
  may act on the task (a reviewer of its group, or a supervisor or admin); ``"supervisor"`` only a supervisor or
  admin. The user who decided can never confirm their own decision.
- a ``refer`` decision is not final: the task goes to the least-loaded supervisor of its group.

The queue records decisions; carrying them out (the case's outcome, the notice, the robot job) is
:mod:`govauto.decisions`' part.

Several processes (web servers, the CLI, workers) can change tasks at once: every change reads the task with its
row locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write lock, ``BEGIN IMMEDIATE``) and decides on
what it read, so two reviewers never both claim one task (the second is told who holds it), and least-loaded
choices wait for each other (an advisory lock on PostgreSQL), so two never pick from the same counts.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import Connection, Row, and_, case, func, insert, literal, not_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from govauto.casework.accounts import SYSTEM_ACTOR, User, group_members, load_user, normalise_username
from govauto.casework.calendar import WorkCalendar
from govauto.casework.cases import CaseRecord, latest_version, load_record
from govauto.errors import (
    CaseNotFoundError,
    CaseStateError,
    CaseworkError,
    ReviewPermissionError,
    TaskNotFoundError,
    TaskStateError,
)
from govauto.store import Store
from govauto.store.casework_schema import case_versions, review_task_details, task_events
from govauto.store.review import new_id
from govauto.store.schema import review_tasks

__all__ = [
    "ACTIVE_STATUSES",
    "ESCALATION_PRIORITY_STEP",
    "TASK_STATUSES",
    "HumanDecision",
    "HumanOutcome",
    "ReviewQueue",
    "Task",
    "TaskEvent",
    "TaskStatus",
]

TaskStatus = Literal["open", "claimed", "assigned", "awaiting_confirmation", "decided", "closed"]
TASK_STATUSES: tuple[TaskStatus, ...] = get_args(TaskStatus)
ACTIVE_STATUSES: tuple[TaskStatus, ...] = ("open", "claimed", "assigned", "awaiting_confirmation")
"""Statuses of a task that still needs someone."""
_UNDECIDED: tuple[TaskStatus, ...] = ("open", "claimed", "assigned")
_HELD: tuple[TaskStatus, ...] = ("claimed", "assigned")

HumanOutcome = Literal["approve", "correct", "refer", "reject"]
HUMAN_OUTCOMES: tuple[HumanOutcome, ...] = get_args(HumanOutcome)

ESCALATION_PRIORITY_STEP = 10
"""How much an escalation (or a referral to a supervisor) raises a task's priority."""

Confirmation = Literal["group", "supervisor"]

_rt, _d = review_tasks, review_task_details
_PG_WORKLOAD_LOCK = 7261749  # PostgreSQL advisory lock: least-loaded choices (7261746-8: migrations, leases, audit)
_STATUS: ColumnElement[str] = case(
    (and_(_rt.c.status == "closed", _d.c.state != "decided"), literal("closed")), else_=_d.c.state)
"""A task's status: its details' state, unless ``review_tasks.status`` was closed without a decision (the case was
resubmitted, or ops retried the robot job)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _texts(values: Sequence[str] | str | None, what: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        raise CaseworkError(f"{what} must be a list of texts, got the text {values!r}; write [{values!r}]")
    out: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise CaseworkError(f"{what} must be texts, got {value!r}")
        if value.strip():
            out.append(value.strip())
    return tuple(out)


@dataclass(frozen=True)
class HumanDecision:
    """A reviewer's decision on a task.

    :ivar outcome: ``approve``, ``correct`` (补正), ``refer`` (to a supervisor) or ``reject``.
    :ivar kept_findings: the rule ids of the machine's findings the reviewer upholds (a 补正 notice lists them).
    :ivar extra_items: free-text 补正 items the reviewer adds (what is wrong and what to bring).
    :ivar reasons: free-text reasons (of a rejection, of a change from the machine's outcome).
    :ivar note: an internal note (not shown to the applicant).
    """

    outcome: HumanOutcome
    kept_findings: Sequence[str] = ()
    extra_items: Sequence[str] = ()
    reasons: Sequence[str] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in HUMAN_OUTCOMES:
            raise CaseworkError(f"unknown decision outcome {self.outcome!r}: use one of {', '.join(HUMAN_OUTCOMES)}")
        object.__setattr__(self, "kept_findings", tuple(dict.fromkeys(_texts(self.kept_findings, "kept_findings"))))
        object.__setattr__(self, "extra_items", _texts(self.extra_items, "extra_items"))
        object.__setattr__(self, "reasons", _texts(self.reasons, "reasons"))
        if not isinstance(self.note, str):
            raise CaseworkError(f"note must be text, got {self.note!r}")
        object.__setattr__(self, "note", self.note.strip())

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "kept_findings": list(self.kept_findings),
                "extra_items": list(self.extra_items), "reasons": list(self.reasons), "note": self.note}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HumanDecision:
        return cls(outcome=data["outcome"], kept_findings=list(data.get("kept_findings", [])),
                   extra_items=list(data.get("extra_items", [])), reasons=list(data.get("reasons", [])),
                   note=str(data.get("note", "")))


@dataclass(frozen=True)
class Task:
    """A review task as the queue sees it.

    :ivar case_version: the case version it concerns; ``None`` for a robot's task (it concerns the case).
    :ivar source: who opened it: ``review`` (the pipeline), ``robot`` (a robot job), or another name.
    :ivar reason: the main reason (the first of ``reasons``); ``reasons`` all of them: rule ids,
        ``extraction.low_confidence``, ``robot.<kind>`` ...
    :ivar findings: the machine's findings (JSON contract) the reviewer sees.
    :ivar detail: what the opener attached (a robot's task: robot, target, attempt, error kind, artifacts).
    :ivar group: the reviewers' group that handles it.
    :ivar assignee: the user who holds it (claimed or assigned), or who decided it while it awaits confirmation.
    :ivar due_at: the end of the last working day of its time limit (aware UTC), or ``None``.
    :ivar machine_outcome: what the machine decided on the case version (``None`` if the case is not stored).
    :ivar decision: the reviewer's decision once made (:meth:`ReviewQueue.decision_of` gives it as a
        :class:`HumanDecision`), with ``decided_by``, ``decided_at`` and ``sensitive_because``.
    """

    id: str
    case_id: str
    case_version: int | None
    matter: str | None
    job_id: str | None
    source: str
    reason: str
    reasons: tuple[str, ...]
    message: str
    findings: tuple[dict[str, Any], ...]
    detail: dict[str, Any]
    group: str
    status: TaskStatus
    priority: int
    assignee: str | None
    due_at: datetime | None
    sensitive: bool
    escalated: bool
    machine_outcome: str | None
    decision: dict[str, Any] | None
    decided_by: str | None
    decided_at: datetime | None
    confirmed_by: str | None
    confirmed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def is_active(self) -> bool:
        """Whether the task still needs someone (open, held or awaiting confirmation)."""
        return self.status in ACTIVE_STATUSES

    def is_overdue(self, now: datetime) -> bool:
        """Whether the task is active and its due time has passed at ``now``."""
        return self.is_active and self.due_at is not None and now > self.due_at

    @property
    def finding_rules(self) -> tuple[str, ...]:
        """The rule ids of its findings, in order."""
        return tuple(str(f["rule"]) for f in self.findings if f.get("rule"))

    @classmethod
    def from_row(cls, row: Row[Any]) -> Task:
        m = row._mapping
        return cls(
            id=m["id"], case_id=m["case_id"], case_version=m["case_version"], matter=m["matter"], job_id=m["job_id"],
            source=m["source"], reason=m["reason"], reasons=tuple(m["reasons"] or ()), message=m["message"],
            findings=tuple(m["findings"] or ()), detail=m["detail"] or {}, group=m["group_name"],
            status=m["effective_status"], priority=m["priority"], assignee=m["assignee"], due_at=m["due_at"],
            sensitive=bool(m["sensitive"]), escalated=bool(m["escalated"]), machine_outcome=m["machine_outcome"],
            decision=m["decision"], decided_by=m["decided_by"], decided_at=m["decided_at"],
            confirmed_by=m["confirmed_by"], confirmed_at=m["confirmed_at"], created_at=m["created_at"],
            updated_at=m["updated_at"])


@dataclass(frozen=True)
class TaskEvent:
    """One transition of a task: ``opened``, ``claimed``, ``released``, ``assigned``, ``routed``, ``decided``,
    ``referred``, ``confirmed``, ``confirmation_refused``, ``escalated``, ``superseded``."""

    id: int
    task_id: str
    ts: datetime
    actor: str
    event: str
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Row[Any]) -> TaskEvent:
        m = row._mapping
        return cls(id=m["id"], task_id=m["task_id"], ts=m["ts"], actor=m["actor"], event=m["event"],
                   detail=m["detail"])


def _base() -> Any:
    return select(_rt, _d, _STATUS.label("effective_status")).select_from(_rt.join(_d, _d.c.task_id == _rt.c.id))


class ReviewQueue:
    """The review queue in a :class:`~govauto.store.Store`.

    :param calendar: working days, for due times (:meth:`WorkCalendar.default` gives China's).
    :param clock: returns the current time (aware UTC); tests pass a fake clock.
    :param sensitive_outcomes: matter id → the decision outcomes that always need four-eyes for it (``"*"``:
        every matter), e.g. ``{"sole_proprietor.establish": {"reject"}}``.
    :param confirmation: who may confirm a sensitive decision besides never its decider: ``"group"`` (default:
        anyone who may act on the task) or ``"supervisor"`` (supervisors and admins only).
    :param default_group: the group of a robot's task when neither an earlier task of its case nor the stored
        case names one (otherwise it is the earlier task's group, else the case's authority division code, the
        pipeline's convention).
    """

    def __init__(self, store: Store, calendar: WorkCalendar, *, clock: Callable[[], datetime] | None = None,
                 sensitive_outcomes: Mapping[str, Collection[str]] | None = None,
                 confirmation: Confirmation = "group", default_group: str = "default") -> None:
        if confirmation not in get_args(Confirmation):
            raise CaseworkError(f"unknown confirmation policy {confirmation!r}: use 'group' or 'supervisor'")
        for matter, outcomes in (sensitive_outcomes or {}).items():
            unknown = set(outcomes) - set(HUMAN_OUTCOMES)
            if unknown or isinstance(outcomes, str):
                raise CaseworkError(f"sensitive_outcomes[{matter!r}] must be a set of decision outcomes "
                                    f"({', '.join(HUMAN_OUTCOMES)}), got {outcomes!r}")
        self.store = store
        self.calendar = calendar
        self.sensitive_outcomes = {m: frozenset(o) for m, o in (sensitive_outcomes or {}).items()}
        self.confirmation: Confirmation = confirmation
        self.default_group = default_group
        self._clock = clock or _utcnow

    def __repr__(self) -> str:
        return f"ReviewQueue({self.store.display_url!r})"

    # -- opening and reading ------------------------------------------------------------------------------------

    def open(self, case_id: str, version: int, *, reasons: Sequence[str], findings: Sequence[Mapping[str, Any]],
             group: str, priority: int = 0, time_limit_days: int | None = None, sensitive: bool = False,
             source: str = "review", message: str = "", start: datetime | None = None) -> Task:
        """Open a task for a stored case version.

        :param reasons: why a person must look: rule ids, ``extraction.low_confidence``, ``robot.business`` ...
        :param findings: the machine's findings (JSON contract), all of them, so the reviewer sees everything.
        :param group: the reviewers' group that handles it.
        :param priority: higher first.
        :param time_limit_days: the time limit in working days: the task is due at the end of that working day
            after ``start`` (China time); ``None``: no due time.
        :param sensitive: every decision on it needs a second person (four-eyes).
        :param source: who opens it (``review``, or a plugin's name).
        :param message: a summary for the list (default: the reasons).
        :param start: when the time limit starts (default: the version's ``submitted_at``, else now).
        :raises CaseNotFoundError: the case version is not stored.
        :raises CaseStateError: a newer version of the case exists.
        :raises CalendarError: the due date falls in a year the calendar does not cover.
        :raises CaseworkError: an empty group, a negative time limit, reasons that are not texts.
        """
        reason_list = _texts(reasons, "reasons")
        if not isinstance(group, str) or not group.strip() or len(group.strip()) > 100:
            raise CaseworkError(f"a task needs the reviewers' group that handles it (1-100 characters), got {group!r}")
        if time_limit_days is not None and time_limit_days < 0:
            raise CaseworkError(f"time_limit_days cannot be negative, got {time_limit_days}")
        finding_list = [dict(f) for f in findings]
        with self.store.begin() as conn:
            record = load_record(conn, case_id, version)
            newest = latest_version(conn, case_id)
        if newest > version:
            raise CaseStateError(f"version {version} of case {case_id} was superseded by version {newest}: open the "
                                 "task for the latest version")
        now = self._clock()
        begin = start or record.submitted_at or now
        due = self.calendar.add_working_days(begin, time_limit_days) if time_limit_days is not None else None
        source = source.strip() or "review"
        summary = message.strip() or (f"{source}: {', '.join(reason_list)}" if reason_list else source)
        task_id = new_id("R")
        with self.store.begin(write=True) as conn:
            conn.execute(insert(_rt).values(
                id=task_id, case_id=case_id, job_id=None, source=source[:50],
                reason=(reason_list or (source,))[0][:100], message=summary,
                detail={"case_version": version, "group": group.strip(), "reasons": list(reason_list)},
                status="open", created_at=now))
            conn.execute(insert(_d).values(
                task_id=task_id, case_version=version, matter=record.matter, group_name=group.strip(), state="open",
                priority=priority, assignee=None, due_at=due, sensitive=sensitive, escalated=False,
                reasons=list(reason_list), findings=finding_list, machine_outcome=record.machine_outcome,
                decision=None, updated_at=now))
            self._event(conn, task_id, SYSTEM_ACTOR, "opened", now, source=source, case_version=version,
                        reasons=list(reason_list), group=group.strip(), priority=priority, due_at=due,
                        time_limit_days=time_limit_days, start=begin, sensitive=sensitive)
            return self._load(conn, task_id)

    def get(self, task_id: str) -> Task:
        """The task. :raises TaskNotFoundError: no such task."""
        self._adopt()
        with self.store.begin() as conn:
            return self._load(conn, task_id)

    def list(self, *, status: str | Collection[str] | None = None, assignee: str | None = None,
             groups: Collection[str] | None = None, overdue: bool | None = None, case_id: str | None = None,
             visible_to: str | None = None, limit: int | None = None) -> builtins.list[Task]:
        """Tasks, most urgent first: escalated, then higher priority, then earlier due time, then older.

        :param status: one status or several (:data:`ACTIVE_STATUSES` for everything still to do).
        :param assignee: only tasks this user holds.
        :param groups: only tasks of these groups.
        :param overdue: only tasks past their due time (``True``) or not (``False``), at the queue's clock.
        :param case_id: only this case's tasks.
        :param visible_to: only tasks this user may act on (every task for a supervisor or admin; none for an
            unknown or inactive account).
        :raises CaseworkError: an unknown status.
        """
        self._adopt()
        query = _base()
        if status is not None:
            wanted = [status] if isinstance(status, str) else builtins.list(status)
            unknown = [s for s in wanted if s not in TASK_STATUSES]
            if unknown:
                raise CaseworkError(f"unknown task status {', '.join(map(repr, unknown))}: use "
                                    f"{', '.join(TASK_STATUSES)}")
            query = query.where(_STATUS.in_(wanted))
        if assignee is not None:
            query = query.where(_d.c.assignee == normalise_username(assignee))
        if groups is not None:
            query = query.where(_d.c.group_name.in_(sorted(set(groups))))
        if overdue is not None:
            late = and_(_STATUS.in_(ACTIVE_STATUSES), _d.c.due_at.is_not(None), _d.c.due_at < self._clock())
            query = query.where(late if overdue else not_(late))
        if case_id is not None:
            query = query.where(_rt.c.case_id == case_id)
        query = query.order_by(_d.c.escalated.desc(), _d.c.priority.desc(), _d.c.due_at.is_(None), _d.c.due_at,
                               _rt.c.created_at, _rt.c.id)
        with self.store.begin() as conn:
            if visible_to is not None:
                user = load_user(conn, visible_to)
                if user is None or not user.active:
                    return []
                if not user.is_supervisor:
                    query = query.where(_d.c.group_name.in_(user.groups))
            if limit is not None:
                query = query.limit(limit)
            return [Task.from_row(row) for row in conn.execute(query)]

    def events(self, task_id: str) -> builtins.list[TaskEvent]:
        """The task's history, oldest first. :raises TaskNotFoundError: no such task."""
        self._adopt()
        with self.store.begin() as conn:
            self._load(conn, task_id)
            rows = conn.execute(select(task_events).where(task_events.c.task_id == task_id)
                                .order_by(task_events.c.id)).all()
        return [TaskEvent.from_row(row) for row in rows]

    def workload(self, group: str) -> dict[str, int]:
        """How many tasks each active member of ``group`` holds (claimed or assigned), by user name."""
        with self.store.begin() as conn:
            members = [u.username for u in group_members(conn, group)]
            return self._loads(conn, members)

    def may_act(self, user: str, task: Task) -> bool:
        """Whether ``user`` (an active account) may act on ``task``: a member of its group, or a supervisor/admin."""
        with self.store.begin() as conn:
            account = load_user(conn, user)
        return account is not None and account.active and (account.is_supervisor or task.group in account.groups)

    def decision_of(self, task: Task | str) -> HumanDecision:
        """The reviewer's decision recorded on the task.

        :raises TaskStateError: no decision is recorded (the task is not decided or awaiting confirmation).
        """
        current = self.get(task) if isinstance(task, str) else task
        if current.decision is None:
            raise TaskStateError(current.id, current.status, "no decision is recorded on it yet")
        return HumanDecision.from_dict(current.decision)

    # -- holding ------------------------------------------------------------------------------------------------

    def claim(self, task_id: str, user: str) -> Task:
        """``user`` takes the task (status ``claimed``). Claiming a task one already holds changes nothing.

        :raises ReviewPermissionError: the user may not act on the task (another group, inactive).
        :raises TaskStateError: someone else holds it (a supervisor can :meth:`assign` it), or it is decided,
            closed or awaiting confirmation.
        """
        return self._change(task_id, lambda conn, task, now: self._claim(conn, task, user, now))

    def _claim(self, conn: Connection, task: Task, user: str, now: datetime) -> None:
        actor = self._actor(conn, user)
        self._require_act(actor, task, "claim")
        if task.status in _HELD and task.assignee == actor.username:
            return
        if task.status in _HELD:
            raise TaskStateError(task.id, task.status, f"{task.assignee} holds it; ask them to release it, or a "
                                 "supervisor to assign it to you")
        if task.status != "open":
            raise TaskStateError(task.id, task.status, "only an open task can be claimed")
        self._set(conn, task.id, now, state="claimed", assignee=actor.username)
        self._event(conn, task.id, actor.username, "claimed", now)

    def release(self, task_id: str, user: str) -> Task:
        """Give a held task back to the group (status ``open``): its holder, or a supervisor/admin.

        :raises ReviewPermissionError: the user neither holds it nor is a supervisor.
        :raises TaskStateError: nobody holds it.
        """
        return self._change(task_id, lambda conn, task, now: self._release(conn, task, user, now))

    def _release(self, conn: Connection, task: Task, user: str, now: datetime) -> None:
        actor = self._actor(conn, user)
        if task.status not in _HELD:
            raise TaskStateError(task.id, task.status, "only a claimed or assigned task can be released")
        if task.assignee != actor.username and not actor.is_supervisor:
            raise ReviewPermissionError(f"{actor.username} cannot release task {task.id}: {task.assignee} holds it "
                                        "(only its holder or a supervisor can)")
        self._set(conn, task.id, now, state="open", assignee=None)
        self._event(conn, task.id, actor.username, "released", now, previous_assignee=task.assignee)

    def assign(self, task_id: str, user: str, by: str) -> Task:
        """A supervisor (or admin, or govauto's own :data:`SYSTEM_ACTOR`) gives the task to ``user``.

        :raises ReviewPermissionError: ``by`` is not a supervisor/admin, or ``user`` may not act on the task.
        :raises TaskStateError: the task is decided, closed or awaiting confirmation.
        """
        def change(conn: Connection, task: Task, now: datetime) -> None:
            actor = self._assigner(conn, by, task)
            target = self._actor(conn, user)
            self._require_act(target, task, "be assigned")
            self._require_undecided(task, "assigned")
            self._set(conn, task.id, now, state="assigned", assignee=target.username)
            self._event(conn, task.id, actor, "assigned", now, assignee=target.username,
                        previous_assignee=task.assignee)
        return self._change(task_id, change)

    def assign_least_loaded(self, task_id: str, group: str, by: str) -> Task:
        """Route the task to ``group`` and assign it to the member holding the fewest tasks (claimed or assigned;
        ties by user name). Reviewers are chosen first; supervisors only when the group has no active reviewer.

        :raises ReviewPermissionError: ``by`` is not a supervisor/admin (or :data:`SYSTEM_ACTOR`).
        :raises CaseworkError: the group has no active member.
        :raises TaskStateError: the task is decided, closed or awaiting confirmation.
        """
        def change(conn: Connection, task: Task, now: datetime) -> None:
            actor = self._assigner(conn, by, task)
            self._require_undecided(task, "assigned")
            members = group_members(conn, group)
            reviewers = [u for u in members if u.role == "reviewer"] or members
            if not reviewers:
                raise CaseworkError(f"group {group!r} has no active member to assign task {task.id} to; add one "
                                    f"with Accounts.add_user(..., groups=[{group!r}]) or set_groups")
            self._lock_workload(conn)
            loads = self._loads(conn, [u.username for u in reviewers])
            chosen = min(reviewers, key=lambda u: (loads[u.username], u.username))
            self._set(conn, task.id, now, state="assigned", assignee=chosen.username, group_name=group)
            self._event(conn, task.id, actor, "assigned", now, assignee=chosen.username, group=group,
                        previous_group=task.group, previous_assignee=task.assignee, least_loaded=True, loads=loads)
        return self._change(task_id, change)

    def route(self, task_id: str, group: str, by: str) -> Task:
        """Move the task to another group, unassigned (status ``open``). For supervisors and admins.

        :raises ReviewPermissionError: ``by`` is not a supervisor/admin (or :data:`SYSTEM_ACTOR`).
        :raises TaskStateError: the task is decided, closed or awaiting confirmation.
        """
        if not isinstance(group, str) or not group.strip() or len(group.strip()) > 100:
            raise CaseworkError(f"route needs the group to move the task to (1-100 characters), got {group!r}")

        def change(conn: Connection, task: Task, now: datetime) -> None:
            actor = self._assigner(conn, by, task)
            self._require_undecided(task, "routed")
            self._set(conn, task.id, now, state="open", assignee=None, group_name=group.strip())
            self._event(conn, task.id, actor, "routed", now, group=group.strip(), previous_group=task.group,
                        previous_assignee=task.assignee)
        return self._change(task_id, change)

    def escalate_overdue(self, now: datetime | None = None) -> builtins.list[Task]:
        """Escalate every active task past its due time that is not escalated yet.

        Each gets ``escalated`` set and its priority raised by :data:`ESCALATION_PRIORITY_STEP`; an undecided one
        is assigned to the least-loaded active supervisor of its group (none in the group: it keeps its holder and
        the event says so). A task awaiting confirmation keeps its decider. Run it periodically (a cron job, the
        web application's timer).

        :param now: the time to judge by (default: the queue's clock).
        :returns: the tasks escalated now.
        """
        self._adopt()
        at = now or self._clock()
        with self.store.begin(write=True) as conn:
            rows = conn.execute(_base().where(_STATUS.in_(ACTIVE_STATUSES), _d.c.due_at.is_not(None),
                                              _d.c.due_at < at, not_(_d.c.escalated))
                                .order_by(_d.c.due_at, _rt.c.id).with_for_update()).all()
            escalated: builtins.list[str] = []
            for row in rows:
                task = Task.from_row(row)
                values: dict[str, Any] = {"escalated": True, "priority": task.priority + ESCALATION_PRIORITY_STEP}
                target: str | None = None
                if task.status in _UNDECIDED:
                    target = self._least_loaded_supervisor(conn, task.group, exclude=None)
                    if target is not None:
                        values.update(state="assigned", assignee=target)
                self._set(conn, task.id, at, **values)
                self._event(conn, task.id, SYSTEM_ACTOR, "escalated", at, due_at=task.due_at,
                            priority=values["priority"], assignee=target if target else task.assignee,
                            previous_assignee=task.assignee,
                            note=None if target or task.status not in _UNDECIDED
                            else f"group {task.group!r} has no active supervisor: the task keeps its holder")
                escalated.append(task.id)
            return [self._load(conn, task_id) for task_id in escalated]

    # -- deciding -----------------------------------------------------------------------------------------------

    def decide(self, task_id: str, user: str, decision: HumanDecision) -> Task:
        """Record ``user``'s decision.

        Not sensitive: the task is ``decided``. Sensitive (see the module docstring): it is
        ``awaiting_confirmation`` until another person confirms or refuses it. ``refer``: the task is assigned to
        the least-loaded supervisor of its group (open when it has none), priority raised; nothing is decided.

        :raises ReviewPermissionError: the user may not act on the task, or someone else holds it (a supervisor
            may decide a task another user holds).
        :raises TaskStateError: the task is decided, closed or awaiting confirmation.
        :raises CaseworkError: the decision keeps a rule that is not among the task's findings, a 补正 lists no
            item, or a rejection gives no reason.
        """
        if not isinstance(decision, HumanDecision):
            raise CaseworkError(f"decide needs a HumanDecision, got {type(decision).__name__}")

        def change(conn: Connection, task: Task, now: datetime) -> None:
            actor = self._actor(conn, user)
            self._require_act(actor, task, "decide")
            self._require_undecided(task, "decided")
            if task.status in _HELD and task.assignee != actor.username and not actor.is_supervisor:
                raise ReviewPermissionError(f"{actor.username} cannot decide task {task.id}: {task.assignee} holds "
                                            "it; ask them to release it, or a supervisor to assign it to you")
            self._check(task, decision)
            if decision.outcome == "refer":
                self._refer(conn, task, actor, decision, now)
                return
            because = self._sensitive_because(task, decision)
            stored = {**decision.to_dict(), "decided_by": actor.username, "decided_at": now.isoformat(),
                      "sensitive_because": because}
            state = "awaiting_confirmation" if because else "decided"
            self._set(conn, task.id, now, state=state, assignee=actor.username, decision=stored,
                      decided_by=actor.username, decided_at=now, confirmed_by=None, confirmed_at=None)
            if state == "decided":
                conn.execute(update(_rt).where(_rt.c.id == task.id).values(status="closed"))
            self._event(conn, task.id, actor.username, "decided", now, **decision.to_dict(),
                        machine_outcome=task.machine_outcome, awaiting_confirmation=bool(because),
                        sensitive_because=because)
        return self._change(task_id, change)

    def confirm(self, task_id: str, user: str) -> Task:
        """A second person confirms a decision awaiting four-eyes: the task is ``decided``.

        :raises ReviewPermissionError: ``user`` decided it, or may not confirm (see the ``confirmation`` policy).
        :raises TaskStateError: the task is not awaiting confirmation.
        """
        def change(conn: Connection, task: Task, now: datetime) -> None:
            actor = self._confirmer(conn, user, task, "confirm")
            self._set(conn, task.id, now, state="decided", confirmed_by=actor.username, confirmed_at=now)
            conn.execute(update(_rt).where(_rt.c.id == task.id).values(status="closed"))
            self._event(conn, task.id, actor.username, "confirmed", now, decided_by=task.decided_by,
                        outcome=(task.decision or {}).get("outcome"))
        return self._change(task_id, change)

    def refuse_confirmation(self, task_id: str, user: str, note: str) -> Task:
        """A second person refuses a decision awaiting four-eyes: the decision is withdrawn (it stays in the
        events) and the task is assigned back to the reviewer who made it (open if their account is inactive).

        :raises ReviewPermissionError: ``user`` decided it, or may not confirm (see the ``confirmation`` policy).
        :raises TaskStateError: the task is not awaiting confirmation.
        :raises CaseworkError: no note (the decider must learn why).
        """
        if not isinstance(note, str) or not note.strip():
            raise CaseworkError("refusing a decision needs a note saying why, for the reviewer who made it")

        def change(conn: Connection, task: Task, now: datetime) -> None:
            actor = self._confirmer(conn, user, task, "refuse")
            decider = load_user(conn, task.decided_by or "")
            back = decider.username if decider is not None and decider.active else None
            self._set(conn, task.id, now, state="assigned" if back else "open", assignee=back, decision=None,
                      decided_by=None, decided_at=None)
            self._event(conn, task.id, actor.username, "confirmation_refused", now, note=note.strip(),
                        decided_by=task.decided_by, decision=task.decision, assignee=back)
        return self._change(task_id, change)

    # -- helpers ------------------------------------------------------------------------------------------------

    def _change(self, task_id: str, change: Callable[[Connection, Task, datetime], None]) -> Task:
        self._adopt()
        now = self._clock()
        with self.store.begin(write=True) as conn:
            task = self._load(conn, task_id, lock=True)
            change(conn, task, now)
            return self._load(conn, task_id)

    @staticmethod
    def _load(conn: Connection, task_id: str, *, lock: bool = False) -> Task:
        query = _base().where(_rt.c.id == task_id)
        if lock:  # PostgreSQL: concurrent changes of one task wait for each other (SQLite: BEGIN IMMEDIATE does)
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            raise TaskNotFoundError(task_id)
        return Task.from_row(row)

    @staticmethod
    def _set(conn: Connection, task_id: str, now: datetime, **values: Any) -> None:
        conn.execute(update(_d).where(_d.c.task_id == task_id).values(updated_at=now, **values))

    @staticmethod
    def _event(conn: Connection, task_id: str, actor: str, event: str, now: datetime, **detail: Any) -> None:
        conn.execute(insert(task_events).values(task_id=task_id, ts=now, actor=actor, event=event,
                                                detail={k: v for k, v in detail.items() if v is not None}))

    @staticmethod
    def _actor(conn: Connection, username: str) -> User:
        user = load_user(conn, username) if isinstance(username, str) else None
        if user is None or not user.active:
            raise ReviewPermissionError(f"{username!r} has no active account: only active reviewers, supervisors and "
                                        "admins act on review tasks (Accounts.add_user / set_active)")
        return user

    @staticmethod
    def _require_act(user: User, task: Task, doing: str) -> None:
        if user.is_supervisor or task.group in user.groups:
            return
        mine = ", ".join(user.groups) or "no group"
        raise ReviewPermissionError(f"{user.username} may not {doing} task {task.id}: it belongs to group "
                                    f"{task.group!r} and {user.username} works for {mine}; a supervisor can route "
                                    "it or assign it to a member of that group")

    @staticmethod
    def _require_undecided(task: Task, doing: str) -> None:
        if task.status not in _UNDECIDED:
            raise TaskStateError(task.id, task.status, f"only an open, claimed or assigned task can be {doing}")

    def _assigner(self, conn: Connection, by: str, task: Task) -> str:
        if by == SYSTEM_ACTOR:
            return SYSTEM_ACTOR
        actor = self._actor(conn, by)
        if not actor.is_supervisor:
            raise ReviewPermissionError(f"{actor.username} is a {actor.role}: only supervisors and admins assign or "
                                        f"route tasks; claim task {task.id} yourself instead")
        return actor.username

    def _confirmer(self, conn: Connection, user: str, task: Task, doing: str) -> User:
        actor = self._actor(conn, user)
        if task.status != "awaiting_confirmation":
            done = {"confirm": "confirmed", "refuse": "refused"}[doing]
            raise TaskStateError(task.id, task.status, f"only a decision awaiting confirmation can be {done}")
        if actor.username == task.decided_by:
            raise ReviewPermissionError(f"four-eyes: {actor.username} decided task {task.id} and cannot {doing} their "
                                        "own decision; another reviewer of the group or a supervisor must")
        if self.confirmation == "supervisor" and not actor.is_supervisor:
            raise ReviewPermissionError(f"{actor.username} is a {actor.role}: sensitive decisions are confirmed by a "
                                        "supervisor or admin here")
        self._require_act(actor, task, f"{doing} the decision on")
        return actor

    @staticmethod
    def _check(task: Task, decision: HumanDecision) -> None:
        known = set(task.finding_rules)
        unknown = [r for r in decision.kept_findings if r not in known]
        if unknown:
            listed = ", ".join(sorted(known)) or "none"
            raise CaseworkError(f"task {task.id}: kept finding(s) {', '.join(unknown)} are not among its findings "
                                f"({listed}); keep only those, and write anything else as an extra item")
        if decision.outcome == "correct" and not (decision.kept_findings or decision.extra_items):
            raise CaseworkError(f"task {task.id}: a 补正 decision must list what to correct: keep findings or add "
                                "extra items (the notice lists every one at once)")
        if decision.outcome == "reject" and not (decision.kept_findings or decision.reasons):
            raise CaseworkError(f"task {task.id}: a rejection must state its reasons: keep the findings it rests on "
                                "or give reasons")

    def _sensitive_because(self, task: Task, decision: HumanDecision) -> builtins.list[str]:
        because: builtins.list[str] = []
        if task.sensitive:
            because.append("the task is marked sensitive")
        if task.machine_outcome == "reject" and decision.outcome != "reject":
            because.append(f"it overrides the machine's reject with {decision.outcome}")
        listed = self.sensitive_outcomes.get("*", frozenset()) | self.sensitive_outcomes.get(task.matter or "",
                                                                                              frozenset())
        if decision.outcome in listed:
            because.append(f"{decision.outcome} is a sensitive outcome for {task.matter or 'every matter'}")
        return because

    def _refer(self, conn: Connection, task: Task, actor: User, decision: HumanDecision, now: datetime) -> None:
        target = self._least_loaded_supervisor(conn, task.group, exclude=actor.username)
        self._set(conn, task.id, now, state="assigned" if target else "open", assignee=target,
                  priority=task.priority + ESCALATION_PRIORITY_STEP)
        self._event(conn, task.id, actor.username, "referred", now, **decision.to_dict(), assignee=target,
                    note_to_supervisor=None if target else f"group {task.group!r} has no other active supervisor: "
                    "the task is open for any supervisor")

    def _least_loaded_supervisor(self, conn: Connection, group: str, exclude: str | None) -> str | None:
        supervisors = [u.username for u in group_members(conn, group)
                       if u.role == "supervisor" and u.username != exclude]
        if not supervisors:
            return None
        self._lock_workload(conn)
        loads = self._loads(conn, supervisors)
        return min(supervisors, key=lambda name: (loads[name], name))

    @staticmethod
    def _lock_workload(conn: Connection) -> None:
        """Make least-loaded choices wait for each other until the choosing transaction commits, so that two never
        read the same loads and pick the same person (PostgreSQL; on SQLite the write lock does it). Taken after the
        task rows are locked, never before, so it cannot deadlock with :meth:`_change`."""
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WORKLOAD_LOCK})

    @staticmethod
    def _loads(conn: Connection, usernames: Sequence[str]) -> dict[str, int]:
        rows = conn.execute(
            select(_d.c.assignee, func.count()).select_from(_rt.join(_d, _d.c.task_id == _rt.c.id))
            .where(_d.c.assignee.in_(builtins.list(usernames)), _STATUS.in_(_HELD))
            .group_by(_d.c.assignee)).all()
        counts: dict[str, int] = {str(name): int(n) for name, n in rows}
        return {name: int(counts.get(name, 0)) for name in usernames}

    # -- robot tasks --------------------------------------------------------------------------------------------

    def _adopt(self) -> None:
        """Give tasks opened outside the queue (robot jobs' ``review_tasks`` rows) their details row."""
        missing = select(_rt).outerjoin(_d, _d.c.task_id == _rt.c.id).where(_d.c.task_id.is_(None))
        with self.store.begin() as conn:
            if conn.execute(missing.limit(1)).first() is None:
                return
        now = self._clock()
        try:
            with self.store.begin(write=True) as conn:
                for row in conn.execute(missing.order_by(_rt.c.created_at, _rt.c.id)).all():
                    group, record = self._robot_group(conn, row.case_id)
                    if isinstance(row.detail, dict) and row.detail.get("group") and group == self.default_group:
                        group = str(row.detail["group"])  # the group the job was queued for
                    conn.execute(insert(_d).values(
                        task_id=row.id, case_version=None, matter=record.matter if record else None, group_name=group,
                        state="open", priority=0, assignee=None, due_at=None, sensitive=False, escalated=False,
                        reasons=[row.reason], findings=[], machine_outcome=record.machine_outcome if record else None,
                        decision=None, updated_at=now))
                    self._event(conn, row.id, SYSTEM_ACTOR, "opened", now, source=row.source, reason=row.reason,
                                group=group, job_id=row.job_id, adopted=True)
        except IntegrityError:  # another process adopted them first
            return

    def _robot_group(self, conn: Connection, case_id: str) -> tuple[str, CaseRecord | None]:
        earlier = conn.execute(select(_d.c.group_name).select_from(_rt.join(_d, _d.c.task_id == _rt.c.id))
                               .where(_rt.c.case_id == case_id).order_by(_rt.c.created_at.desc(), _rt.c.id.desc())
                               .limit(1)).scalar()
        record: CaseRecord | None
        try:
            record = load_record(conn, case_id) if conn.execute(
                select(case_versions.c.case_id).where(case_versions.c.case_id == case_id).limit(1)).first() else None
        except CaseNotFoundError:  # pragma: no cover - checked just before
            record = None
        if earlier:
            return str(earlier), record
        if record is not None and record.authority_division:
            return record.authority_division, record
        return self.default_group, record
