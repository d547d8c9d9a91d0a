"""Cases with versions: every submission of a case is kept, with what was read and what the machine decided.

A case id seen before becomes its next version (a resubmission after 补正 is version 2, ...); earlier versions are
never changed, except that one still waiting (``referred``, ``correcting``) becomes ``superseded`` and its open
review tasks are closed, so nobody decides a version the applicant has replaced::

    cases = CaseStore(store)
    record = cases.intake(case, decision=decision, extractions=extractions, base_dir=Path("cases"), actor="user:li")
    record.version                       # 1, then 2 after a resubmission
    cases.set_outcome(record.case_id, record.version, "correct", decided_by="user:zhang", detail={...})

Status of a version: ``approved``, ``referred`` (a person must decide), ``correcting`` (补正 asked),
``rejected``, ``closed`` (withdrawn, or ended without a decision) or ``superseded`` (a newer version exists).
At intake it follows the machine's outcome; :meth:`CaseStore.set_outcome` records the final decision and who made
it. Every change is appended to ``case_events``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from sqlalchemy import Connection, Row, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from govauto.errors import CaseNotFoundError, CaseStateError, CaseworkError
from govauto.extract.pipeline import Extraction
from govauto.model import CaseEnvelope
from govauto.outcome import Decision
from govauto.store import Store
from govauto.store.casework_schema import case_events, case_versions, review_task_details, task_events
from govauto.store.schema import review_tasks

__all__ = ["CASE_STATUSES", "OUTCOME_STATUS", "CaseEvent", "CaseRecord", "CaseStatus", "CaseStore"]

CaseStatus = Literal["approved", "referred", "correcting", "rejected", "closed", "superseded"]
CASE_STATUSES: tuple[CaseStatus, ...] = get_args(CaseStatus)

OUTCOME_STATUS: dict[str, CaseStatus] = {"approve": "approved", "correct": "correcting", "refer": "referred",
                                         "reject": "rejected", "close": "closed"}
"""The status a decision outcome puts a case version in."""

_STATUS_OUTCOME = {status: outcome for outcome, status in OUTCOME_STATUS.items()}
_WAITING = ("referred", "correcting")
_ACTIVE_TASK_STATES = ("open", "claimed", "assigned", "awaiting_confirmation")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CaseRecord:
    """One stored version of a case.

    :ivar case: the validated case in its JSON form (``runtime.load_case(record.case)`` validates it again).
    :ivar base_dir: where the case's relative material paths start (absolute).
    :ivar extractions: per material file, what was read: ``file``, ``doc_type``, and per field ``value``,
        ``confidence``, ``source`` (``file``, ``page``, ``bbox``, ``engine``) (:meth:`Extraction.to_dict`).
    :ivar machine_decision: the machine review's decision, JSON contract (:meth:`Decision.to_dict`).
    :ivar status: see the module's docstring.
    :ivar final_decision: ``{"outcome", "status", "decided_by", "decided_at", "detail"}`` once a final outcome
        was recorded (by the machine's pipeline or a person), else ``None``.
    :ivar created_by: who submitted this version (the ``actor`` of :meth:`CaseStore.intake`).
    """

    case_id: str
    version: int
    matter: str
    case: dict[str, Any]
    base_dir: Path
    extractions: list[dict[str, Any]]
    machine_decision: dict[str, Any]
    status: CaseStatus
    final_decision: dict[str, Any] | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def machine_outcome(self) -> str:
        """``approve``, ``correct``, ``refer`` or ``reject``: what the machine decided."""
        return str(self.machine_decision.get("outcome", ""))

    @property
    def submitted_at(self) -> datetime | None:
        """When the applicant submitted this version (the case's ``submitted_at``), aware."""
        raw = self.case.get("submitted_at")
        if not isinstance(raw, str):
            return None
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return None

    @property
    def applicant_name(self) -> str | None:
        """The applicant's (operator's) name, when the matter's case has one."""
        applicant = self.case.get("applicant")
        name = applicant.get("name") if isinstance(applicant, Mapping) else None
        return str(name) if name else None

    @property
    def authority_name(self) -> str | None:
        """The registration authority the application was made to."""
        authority = self.case.get("authority")
        name = authority.get("name") if isinstance(authority, Mapping) else None
        return str(name) if name else None

    @property
    def authority_division(self) -> str | None:
        """The authority's GB/T 2260 division code."""
        authority = self.case.get("authority")
        division = authority.get("division") if isinstance(authority, Mapping) else None
        return str(division) if division else None

    @classmethod
    def from_row(cls, row: Row[Any]) -> CaseRecord:
        m = row._mapping
        return cls(case_id=m["case_id"], version=m["version"], matter=m["matter"], case=m["case_data"],
                   base_dir=Path(m["base_dir"]), extractions=m["extractions"], machine_decision=m["machine_decision"],
                   status=m["status"], final_decision=m["final_decision"], created_by=m["created_by"],
                   created_at=m["created_at"], updated_at=m["updated_at"])


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a case's history: ``intake``, ``outcome`` or ``superseded``."""

    id: int
    case_id: str
    version: int
    ts: datetime
    actor: str
    event: str
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: Row[Any]) -> CaseEvent:
        m = row._mapping
        return cls(id=m["id"], case_id=m["case_id"], version=m["version"], ts=m["ts"], actor=m["actor"],
                   event=m["event"], detail=m["detail"])


def load_record(conn: Connection, case_id: str, version: int | None = None) -> CaseRecord:
    """A version of a case (the latest when ``version`` is ``None``) in the caller's transaction.

    :raises CaseNotFoundError: no such case or version.
    """
    query = select(case_versions).where(case_versions.c.case_id == case_id)
    if version is None:
        query = query.order_by(case_versions.c.version.desc()).limit(1)
    else:
        query = query.where(case_versions.c.version == version)
    row = conn.execute(query).first()
    if row is None:
        raise CaseNotFoundError(case_id, version)
    return CaseRecord.from_row(row)


def latest_version(conn: Connection, case_id: str) -> int:
    """The case's highest version number, 0 when it has none."""
    return int(conn.execute(select(func.coalesce(func.max(case_versions.c.version), 0))
                            .where(case_versions.c.case_id == case_id)).scalar_one())


def status_for(outcome: str) -> CaseStatus:
    """The case status an outcome (``approve`` ...) or status (``approved`` ...) stands for.

    :raises CaseworkError: neither.
    """
    if outcome in OUTCOME_STATUS:
        return OUTCOME_STATUS[outcome]
    if outcome in _STATUS_OUTCOME:
        return OUTCOME_STATUS[_STATUS_OUTCOME[outcome]]
    raise CaseworkError(f"unknown outcome {outcome!r}: use one of {', '.join(OUTCOME_STATUS)} (or the status it "
                        f"leads to: {', '.join(OUTCOME_STATUS.values())})")


class CaseStore:
    """Store and read case versions in a :class:`~govauto.store.Store`.

    :param clock: returns the current time (aware UTC); tests pass a fake clock.
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self._clock = clock or _utcnow

    def __repr__(self) -> str:
        return f"CaseStore({self.store.display_url!r})"

    def intake(self, case: CaseEnvelope, *, decision: Decision, extractions: Sequence[Extraction] = (),
               base_dir: Path, actor: str) -> CaseRecord:
        """Store a submission of ``case`` as its next version, with the machine's decision on it.

        A waiting earlier version (``referred``, ``correcting``) becomes ``superseded`` and its active review
        tasks are closed (task event ``superseded``).

        :param case: the validated case.
        :param decision: the machine's review of this very submission.
        :param extractions: what was read from its materials.
        :param base_dir: where its relative material paths start (stored absolute).
        :param actor: who submitted it, e.g. ``user:li`` or ``portal``.
        :raises CaseworkError: the decision is about another case or matter, ``actor`` is empty, or the case id,
            matter or actor is longer than the store keeps (100, 100 and 200 characters).
        """
        if decision.case_id != case.case_id or decision.matter != case.matter:
            raise CaseworkError(f"the decision is about case {decision.case_id!r} ({decision.matter}), not "
                                f"{case.case_id!r} ({case.matter}): review this case and pass its own decision")
        if not isinstance(actor, str) or not actor.strip():
            raise CaseworkError("intake needs the actor who submitted the case (e.g. 'user:li' or 'portal')")
        for what, value, most in (("case_id", case.case_id, 100), ("matter", case.matter, 100),
                                  ("actor", actor.strip(), 200)):
            if len(value) > most:  # the column's length: PostgreSQL would refuse it, SQLite not
                raise CaseworkError(f"the case's {what} has {len(value)} characters, more than the {most} the store "
                                    f"keeps: {value[:40]!r}…")
        values = {
            "case_id": case.case_id, "matter": case.matter,
            "status": OUTCOME_STATUS[decision.outcome],
            "case_data": case.model_dump(mode="json"),
            "base_dir": str(Path(base_dir).resolve()),
            "extractions": [e.to_dict() for e in extractions],
            "machine_decision": decision.to_dict(),
            "machine_outcome": decision.outcome,
            "final_decision": None,
            "created_by": actor.strip(),
        }
        for attempt in range(3):
            now = self._clock()
            try:
                with self.store.begin(write=True) as conn:
                    version = latest_version(conn, case.case_id) + 1
                    conn.execute(insert(case_versions).values(version=version, created_at=now, updated_at=now,
                                                              **values))
                    self._event(conn, case.case_id, version, actor.strip(), "intake", now,
                                status=values["status"], machine_outcome=decision.outcome,
                                pack={"id": decision.pack_id, "version": decision.pack_version})
                    if version > 1:
                        self._supersede(conn, case.case_id, version, actor.strip(), now)
                    return load_record(conn, case.case_id, version)
            except IntegrityError:  # another process stored the same version number first: take the next one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, case_id: str, version: int | None = None) -> CaseRecord:
        """A version of the case, the latest by default. :raises CaseNotFoundError: no such case or version."""
        with self.store.begin() as conn:
            return load_record(conn, case_id, version)

    def versions(self, case_id: str) -> builtins.list[CaseRecord]:
        """Every version of the case, oldest first. :raises CaseNotFoundError: no such case."""
        with self.store.begin() as conn:
            rows = conn.execute(select(case_versions).where(case_versions.c.case_id == case_id)
                                .order_by(case_versions.c.version)).all()
        if not rows:
            raise CaseNotFoundError(case_id)
        return [CaseRecord.from_row(row) for row in rows]

    def list(self, status: str | None = None, matter: str | None = None,
             limit: int | None = None) -> builtins.list[CaseRecord]:
        """The latest version of every case, most recently submitted first, optionally only those whose latest
        version has ``status`` or is of ``matter``.

        :raises CaseworkError: an unknown status.
        """
        if status is not None and status not in CASE_STATUSES:
            raise CaseworkError(f"unknown case status {status!r}: use one of {', '.join(CASE_STATUSES)}")
        latest = (select(case_versions.c.case_id, func.max(case_versions.c.version).label("version"))
                  .group_by(case_versions.c.case_id).subquery())
        query = (select(case_versions)
                 .join(latest, and_(latest.c.case_id == case_versions.c.case_id,
                                    latest.c.version == case_versions.c.version))
                 .order_by(case_versions.c.created_at.desc(), case_versions.c.case_id))
        if status is not None:
            query = query.where(case_versions.c.status == status)
        if matter is not None:
            query = query.where(case_versions.c.matter == matter)
        if limit is not None:
            query = query.limit(limit)
        with self.store.begin() as conn:
            return [CaseRecord.from_row(row) for row in conn.execute(query)]

    def set_outcome(self, case_id: str, version: int, outcome: str, decided_by: str,
                    detail: Mapping[str, Any] | None = None) -> CaseRecord:
        """Record the outcome of a case version and who decided it.

        :param outcome: ``approve``, ``correct``, ``refer``, ``reject`` or ``close``, or the status one leads to
            (``approved``, ``correcting``, ``referred``, ``rejected``, ``closed``). Every outcome but ``refer``
            is final and sets :attr:`CaseRecord.final_decision`; recording another one later replaces it, and the
            history keeps both (``case_events``).
        :param decided_by: who decided, e.g. ``user:zhang+wang`` or ``machine:govauto 0.3.0``.
        :param detail: what the decision rests on (JSON-serialisable), stored with it.
        :raises CaseNotFoundError: no such case version.
        :raises CaseStateError: a newer version of the case exists (decide that one).
        :raises CaseworkError: an unknown outcome or an empty ``decided_by``.
        """
        status = status_for(outcome)
        if not isinstance(decided_by, str) or not decided_by.strip():
            raise CaseworkError("set_outcome needs who decided (decided_by), e.g. 'user:zhang'")
        now = self._clock()
        with self.store.begin(write=True) as conn:
            record = load_record(conn, case_id, version)
            newest = latest_version(conn, case_id)
            if newest > version:
                raise CaseStateError(f"version {version} of case {case_id} was superseded by version {newest}: "
                                     "record the outcome on the latest version")
            final: dict[str, Any] | None = None
            if status != "referred":
                final = {"outcome": _STATUS_OUTCOME[status], "status": status, "decided_by": decided_by.strip(),
                         "decided_at": now.isoformat(), "detail": dict(detail or {})}
            conn.execute(update(case_versions)
                         .where(case_versions.c.case_id == case_id, case_versions.c.version == version)
                         .values(status=status, final_decision=final if final is not None else record.final_decision,
                                 updated_at=now))
            self._event(conn, case_id, version, decided_by.strip(), "outcome", now, status=status,
                        previous_status=record.status, previous_final=record.final_decision,
                        detail=dict(detail or {}))
            return load_record(conn, case_id, version)

    def events(self, case_id: str) -> builtins.list[CaseEvent]:
        """The case's history (every version), oldest first. :raises CaseNotFoundError: no such case."""
        with self.store.begin() as conn:
            if latest_version(conn, case_id) == 0:
                raise CaseNotFoundError(case_id)
            rows = conn.execute(select(case_events).where(case_events.c.case_id == case_id)
                                .order_by(case_events.c.id)).all()
        return [CaseEvent.from_row(row) for row in rows]

    # -- helpers ------------------------------------------------------------------------------------------------

    @staticmethod
    def _event(conn: Connection, case_id: str, version: int, actor: str, event: str, now: datetime,
               **detail: Any) -> None:
        conn.execute(insert(case_events).values(case_id=case_id, version=version, ts=now, actor=actor, event=event,
                                                detail=detail))

    def _supersede(self, conn: Connection, case_id: str, version: int, actor: str, now: datetime) -> None:
        waiting = conn.execute(select(case_versions.c.version, case_versions.c.status)
                               .where(case_versions.c.case_id == case_id, case_versions.c.version < version,
                                      case_versions.c.status.in_(_WAITING))).all()
        for old, status in waiting:
            conn.execute(update(case_versions)
                         .where(case_versions.c.case_id == case_id, case_versions.c.version == old)
                         .values(status="superseded", updated_at=now))
            self._event(conn, case_id, old, actor, "superseded", now, previous_status=status, by_version=version)
        tasks = conn.execute(
            select(review_tasks.c.id)
            .join(review_task_details, review_task_details.c.task_id == review_tasks.c.id)
            .where(review_tasks.c.case_id == case_id, review_tasks.c.status == "open",
                   review_task_details.c.case_version < version,
                   review_task_details.c.state.in_(_ACTIVE_TASK_STATES))).scalars().all()
        for task_id in tasks:
            conn.execute(update(review_tasks).where(review_tasks.c.id == task_id).values(status="closed"))
            conn.execute(update(review_task_details).where(review_task_details.c.task_id == task_id)
                         .values(updated_at=now))
            conn.execute(insert(task_events).values(task_id=task_id, ts=now, actor=actor, event="superseded",
                                                    detail={"case_version": version}))
