"""The audit trail: every step of every case leaves a record, append-only and hash-chained.

Intake, extraction, the machine's review, each person's view and decision, the robot's submission and the
target system's receipt: each is one :class:`AuditRecord` in the store's ``audit_records`` table, saying who
(``actor``), when (``at``, UTC), what (``action``) and the facts the step used and produced (``detail``)::

    from govauto.audit import AuditTrail, review_detail

    trail = AuditTrail(store)
    trail.record("review", actor="machine:govauto 0.3.0", case_id=decision.case_id, case_version=1,
                 detail=review_detail(decision))
    with store.begin(write=True) as conn:          # the audit record commits (or not) with the caller's change
        conn.execute(...)
        trail.record("decision", actor="user:zhang", case_id="C-1", detail={...}, conn=conn)

    report = trail.verify()                        # walks the whole chain
    report.ok, report.problems

**The chain.** Records are numbered ``seq`` 1, 2, 3 ... in the order they were written. Each holds ``prev_hash``,
the ``hash`` of the record before it (64 zeros for the first), and its own ``hash``: the SHA-256 of its
:func:`canonical_bytes` (every field but ``hash``, ``seq`` and ``prev_hash`` included). Editing a record makes its
content disagree with its hash; deleting or reordering records breaks the ``prev_hash`` links; :meth:`AuditTrail.
verify` finds and names both. Someone who can write the database can still rewrite the chain from a record
onwards, hashes included, or cut records off its end: record the chain's head (:meth:`AuditTrail.head`,
``govauto audit head``) somewhere they cannot write, and check it later with ``verify(anchors=...)``.

**Writers.** :func:`append` reads the last record and inserts the next one in one write transaction (on SQLite
``BEGIN IMMEDIATE``, on PostgreSQL under a transaction-scoped advisory lock), so any number of processes can
append at once and the chain stays one line.

**What a record holds.** What the law requires a decision to show: the facts it used, the rules and their
versions, who decided and what changed. ID numbers are kept as they are (the CLI masks them when it prints);
passwords and other secrets never: a ``detail`` with a key like ``password`` or ``secret`` is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

from sqlalchemy import Connection, Row, String, Text, select, text, type_coerce

from govauto.errors import AuditError, AuditIntegrityError
from govauto.outcome import Decision
from govauto.store import Store
from govauto.store._store import _BEGIN_OPTION
from govauto.store.audit_schema import audit_records
from govauto.store.review import new_id
from govauto.store.schema import dumps

__all__ = [
    "ACTIONS",
    "ACTOR_KINDS",
    "GENESIS_HASH",
    "HASH_FORMAT",
    "Anchor",
    "AuditProblem",
    "AuditRecord",
    "AuditTrail",
    "ProblemKind",
    "VerifyReport",
    "append",
    "canonical_bytes",
    "compute_hash",
    "describe",
    "review_detail",
    "summarise_detail",
]

HASH_FORMAT: Final = "govauto-audit-v1"
"""The first line of every record's canonical form: a new format gets a new name, so old records still verify."""

GENESIS_HASH: Final = "0" * 64
"""The ``prev_hash`` of the first record."""

ACTIONS: Final[Mapping[str, str]] = {
    "intake": "a case arrived: its source, matter and materials (file names, sizes, SHA-256)",
    "extraction": "materials were read: per material the engine and its version, the document type, the fields "
                  "with their confidence",
    "review": "the machine reviewed the case: pack id and version, engine, outcome and every finding (rule, "
              "outcome, message, basis, the facts it read); see review_detail()",
    "referral": "the case was handed to a person: the reason and the review task",
    "view": "a person opened the case (the actor says who): what was shown",
    "decision": "a person decided: the outcome, the machine's outcome, what changed, the findings kept, removed "
                "and added, the reason",
    "decision_confirmed": "a second person confirmed a decision: which record (seq) they confirmed",
    "notice": "a notice was issued (一次性告知书, rejection): its kind, the findings it lists, its file's SHA-256",
    "decision_refused": "a second person refused to confirm a decision: the task and their note",
    "robot_queued": "a robot job was queued for an approved case: job id, robot, target",
    "robot_submitted": "a robot is about to submit the application to the target (from here its outcome may be "
                       "uncertain): job id, attempt, worker",
    "robot_receipt": "the target system gave a receipt number: job id, receipt, whether it was found by searching",
    "robot_failed": "a robot job ended failed or needing a person: job id, error kind, message",
    "processing_failed": "a processing job (extraction and review run by a worker) ended failed: job id, error "
                         "kind, message (a processing job that succeeded is recorded by its intake, extraction "
                         "and review records, actor job:<id>)",
    "resubmission": "the applicant brought corrected materials (补正): the new case version and what changed",
}
"""The documented actions and what their ``detail`` holds. Any dotted lower-case id is accepted (``a.b_c``), so
plugins can add their own, e.g. ``name_registry.lookup``."""

ACTOR_KINDS: Final[Mapping[str, str]] = {
    "user": "a person, by account name: user:zhang",
    "machine": "govauto itself, with its version: machine:govauto 0.3.0",
    "robot": "a robot, by name: robot:legacy_portal.establish",
    "worker": "a worker process: worker:host-1234",
    "system": "anything else acting on its own (a scheduler, an import): system:nightly-import",
}
"""The usual actor kinds. An actor is ``kind:name``; any lower-case kind is accepted."""

ProblemKind = Literal["edited", "deleted_or_reordered", "gap", "anchor"]

_ACTION = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")
_ACTOR = re.compile(r"([a-z][a-z0-9_]*):(\S.*)")
_SECRET_KEY = re.compile(r"pass(?:word|wd)|^pwd$|^pass$|secret|credential|api_?key|private_?key", re.IGNORECASE)
_PG_LOCK_KEY = 7261748  # PostgreSQL advisory lock that serialises appends (7261746/7 are the store's and queue's)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime) -> str:
    """ISO 8601 in UTC with microseconds and ``Z``: ``2025-03-01T09:00:00.000000Z``."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


# -- the canonical form and the hash ------------------------------------------------------------------------------

def canonical_bytes(*, seq: int, id: str, case_id: str | None, case_version: int | None, at: datetime, actor: str,
                    action: str, detail: Any, prev_hash: str) -> bytes:
    """The bytes a record's hash is computed over.

    The line ``govauto-audit-v1``, a newline, then a JSON object of every field but ``hash``: keys sorted, no
    whitespace, non-ASCII characters as themselves, UTF-8, ``at`` as ``2025-03-01T09:00:00.000000Z`` (UTC,
    microseconds). Any program can recompute it (Python: ``json.dumps(..., sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)``; floats as Python prints them).

    :raises ValueError: a value JSON cannot hold (NaN, infinity, a lone surrogate).
    :raises TypeError: a value that is not JSON (bytes, an object).
    """
    body = {"seq": seq, "id": id, "case_id": case_id, "case_version": case_version, "at": _iso(at),
            "actor": actor, "action": action, "detail": detail, "prev_hash": prev_hash}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return f"{HASH_FORMAT}\n{text}".encode()


def compute_hash(**fields: Any) -> str:
    """SHA-256 (lower-case hex) of :func:`canonical_bytes` of ``fields``."""
    return hashlib.sha256(canonical_bytes(**fields)).hexdigest()


# -- records ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditRecord:
    """One step of one case (``case_id`` is ``None`` for system events), as stored. ``at`` is aware UTC."""

    seq: int
    id: str
    case_id: str | None
    case_version: int | None
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: Row[Any]) -> AuditRecord:
        m = row._mapping
        return cls(seq=m["seq"], id=m["id"], case_id=m["case_id"], case_version=m["case_version"], at=m["at"],
                   actor=m["actor"], action=m["action"], detail=m["detail"], prev_hash=m["prev_hash"],
                   hash=m["hash"])

    def expected_hash(self) -> str:
        """The hash the record's content gives now; equal to :attr:`hash` unless the record was changed."""
        return compute_hash(seq=self.seq, id=self.id, case_id=self.case_id, case_version=self.case_version,
                            at=self.at, actor=self.actor, action=self.action, detail=self.detail,
                            prev_hash=self.prev_hash)

    def to_dict(self) -> dict[str, Any]:
        """Every field, ``at`` as ISO 8601 UTC (what ``govauto audit show --json`` prints, before masking)."""
        return {"seq": self.seq, "id": self.id, "case_id": self.case_id, "case_version": self.case_version,
                "at": _iso(self.at), "actor": self.actor, "action": self.action, "detail": self.detail,
                "prev_hash": self.prev_hash, "hash": self.hash}


def _secret_keys(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}"
            if _SECRET_KEY.search(str(key)):
                yield where
            yield from _secret_keys(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _secret_keys(item, f"{path}[{i}]")


def _check(action: str, actor: str, case_id: str | None, case_version: int | None,
           detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a new record's fields; return ``detail`` as it will be stored (and read back)."""
    if not isinstance(action, str) or len(action) > 100 or not _ACTION.fullmatch(action):
        raise AuditError(f"audit action {action!r} is not a dotted lower-case id: write it like 'review' or "
                         f"'name_registry.lookup' (documented actions: {', '.join(ACTIONS)})")
    if not isinstance(actor, str) or len(actor) > 200 or not actor.isprintable() or not _ACTOR.fullmatch(actor):
        raise AuditError(f"audit actor {actor!r} is not 'kind:name' (at most 200 printable characters): write it "
                         "like 'user:zhang', 'machine:govauto 0.3.0' or 'robot:legacy_portal.establish'")
    if case_id is not None and (not isinstance(case_id, str) or not case_id.strip() or len(case_id) > 100):
        raise AuditError(f"audit case_id {case_id!r} must be a non-empty string of at most 100 characters, or None "
                         "for a system event")
    if case_version is not None:
        if isinstance(case_version, bool) or not isinstance(case_version, int) or case_version < 0:
            raise AuditError(f"audit case_version {case_version!r} must be a whole number >= 0, or None")
        if case_id is None:
            raise AuditError("an audit record with a case_version needs the case_id it belongs to")
    if detail is None:
        return {}
    if not isinstance(detail, Mapping):
        raise AuditError(f"audit detail must be a mapping (a JSON object), got a {type(detail).__name__}")
    try:
        stored: dict[str, Any] = json.loads(dumps(dict(detail)))
        json.dumps(stored, ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as error:
        raise AuditError(f"audit detail for {action!r} cannot be stored as JSON: {error}") from None
    secrets = list(_secret_keys(stored, "detail"))
    if secrets:
        raise AuditError(f"audit detail for {action!r} has {', '.join(secrets)}: the audit trail never holds "
                         "passwords or other secrets; leave them out (name the account instead)")
    return stored


def append(conn: Connection, action: str, *, actor: str, case_id: str | None = None, case_version: int | None = None,
           detail: Mapping[str, Any] | None = None, at: datetime | None = None) -> AuditRecord:
    """Append a record to the chain in the caller's write transaction (it commits or rolls back with it).

    :param conn: a connection from ``store.begin(write=True)``. On SQLite that transaction holds the write lock
        from its start; on PostgreSQL this takes a transaction-scoped advisory lock before reading the last record.
        Either way the last record read here is still the last when the new one is inserted, until the
        transaction ends (a long transaction holds other appenders up: keep them short).
    :param action: a dotted lower-case id, usually one of :data:`ACTIONS`.
    :param actor: ``kind:name`` (:data:`ACTOR_KINDS`).
    :param detail: the facts the step used and produced: JSON values (datetimes and paths become strings, tuples
        and sets lists). Stored, hashed and returned as it reads back from JSON.
    :param at: when; default now. Must be timezone-aware.
    :raises AuditError: a field does not fit (the message names it), or ``conn`` is not a write transaction.
    """
    stored = _check(action, actor, case_id, case_version, detail)
    if not conn.in_transaction() or conn.get_execution_options().get(_BEGIN_OPTION) != "IMMEDIATE":
        raise AuditError("audit records are appended in a write transaction: pass a connection from "
                         "store.begin(write=True), or no connection to let the audit trail open one")
    if conn.dialect.name == "postgresql":  # appenders wait for each other until the appending one commits
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    last = conn.execute(select(audit_records.c.seq, audit_records.c.hash)
                        .order_by(audit_records.c.seq.desc()).limit(1)).first()
    seq, prev_hash = (1, GENESIS_HASH) if last is None else (last.seq + 1, last.hash)
    when = at if at is not None else _utcnow()
    if when.tzinfo is None:
        raise AuditError(f"audit time {when.isoformat()} has no time zone: pass an aware datetime (UTC)")
    when = when.astimezone(UTC)
    record_id = new_id("A")
    fields: dict[str, Any] = {"seq": seq, "id": record_id, "case_id": case_id, "case_version": case_version,
                              "at": when, "actor": actor, "action": action, "detail": stored, "prev_hash": prev_hash}
    digest = compute_hash(**fields)
    conn.execute(audit_records.insert().values(**fields, hash=digest))
    return AuditRecord(**fields, hash=digest)


# -- verification -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Anchor:
    """A record's ``seq`` and ``hash`` kept outside the database, to check later that the chain up to it was
    neither rewritten nor cut off. Written ``SEQ:HASH`` (:meth:`parse`, ``str``)."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, value: str) -> Anchor:
        """Read ``SEQ:HASH`` (as ``govauto audit head`` prints it). :raises AuditError: another form."""
        seq, sep, digest = value.strip().partition(":")
        digest = digest.lower()
        if not sep or not seq.isdigit() or int(seq) < 1 or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise AuditError(f"anchor {value!r} is not SEQ:HASH (a record number >= 1, a colon, 64 hex digits); "
                             "`govauto audit head` prints one")
        return cls(int(seq), digest)

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class AuditProblem:
    """One thing :meth:`AuditTrail.verify` found wrong.

    ``kind``:

    - ``edited``: the record's content no longer matches its hash (changed after it was written).
    - ``deleted_or_reordered``: the record's ``prev_hash`` is not the hash of the record before it: records
      between them were deleted (the message names the missing ``seq`` numbers), records were reordered, or the
      record before was rewritten together with its hash.
    - ``gap``: ``seq`` numbers are missing although the links hold (records were renumbered).
    - ``anchor``: a record named by an anchor is gone or has another hash: the chain was cut or rewritten.

    ``seq``, ``id`` and ``case_id`` name the record where the problem shows (for ``anchor``, possibly a record
    that no longer exists: ``id`` is then ``None``).
    """

    kind: ProblemKind
    seq: int
    id: str | None
    case_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" + (f" (id {self.id}" + (f", case {self.case_id}" if self.case_id else "") + ")"
                                     if self.id else "")
        return f"{where}: {self.kind}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "id": self.id, "case_id": self.case_id, "message": self.message}


@dataclass(frozen=True)
class VerifyReport:
    """What :meth:`AuditTrail.verify` found: ``records`` checked, the ``head`` (last record's seq and hash, or
    ``None`` for an empty trail) and every problem, in chain order (anchors' last)."""

    records: int
    head: Anchor | None
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem was found."""
        return not self.problems

    def raise_for_problems(self) -> None:
        """:raises AuditIntegrityError: when there is any problem (it lists them all)."""
        if self.problems:
            raise AuditIntegrityError(self.problems, self.records)

    def to_dict(self) -> dict[str, Any]:
        """What ``govauto audit verify --json`` prints."""
        return {"ok": self.ok, "records": self.records, "head": None if self.head is None else str(self.head),
                "problems": [p.to_dict() for p in self.problems]}


def _raw_time(value: Any) -> datetime:
    """A stored ``at`` read without the column type: SQLite gives its text, other databases a datetime."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _content_problem(m: Mapping[Any, Any]) -> str | None:
    """Why a raw row's content does not match its hash, or ``None`` when it does."""
    try:
        detail = json.loads(m["detail"]) if isinstance(m["detail"], str | bytes) else m["detail"]
    except ValueError:
        return "its detail is not valid JSON any more: it was changed after it was written"
    try:
        digest = compute_hash(seq=m["seq"], id=m["id"], case_id=m["case_id"], case_version=m["case_version"],
                              at=_raw_time(m["at"]), actor=m["actor"], action=m["action"], detail=detail,
                              prev_hash=m["prev_hash"])
    except (TypeError, ValueError) as error:
        return f"its content cannot be read as an audit record any more ({error}): it was changed after it was written"
    if digest != m["hash"]:
        return ("its content no longer matches its hash: it was changed after it was written "
                "(or its hash was)")
    return None


# -- summaries ----------------------------------------------------------------------------------------------------

def _short(value: Any, width: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary_value(value: Any) -> str:
    if isinstance(value, Mapping):
        if "id" in value and "version" in value:
            return f"{value['id']}@{value['version']}"
        return f"{{{len(value)} key{'' if len(value) == 1 else 's'}}}"
    if isinstance(value, list):
        rules = [str(item["rule"]) for item in value if isinstance(item, Mapping) and "rule" in item]
        if rules and len(rules) == len(value):
            shown = ", ".join(rules[:3]) + (", …" if len(rules) > 3 else "")
            return f"{len(value)} ({shown})"
        return f"[{len(value)} item{'' if len(value) == 1 else 's'}]"
    return _short(value, 40)


_FIRST_KEYS = ("outcome", "machine_outcome", "receipt", "error_kind", "job_id", "pack", "engine", "findings")


def summarise_detail(detail: Mapping[str, Any], width: int = 120) -> str:
    """``detail`` in one line of at most ``width`` characters: ``key=value`` pairs (``outcome``, ``receipt``,
    ``pack`` ... first), a pack ``{id, version}`` as ``id@version``, a list of findings as their count and first
    rule ids, other lists and mappings counted."""
    keys = [key for key in _FIRST_KEYS if key in detail] + [key for key in detail if key not in _FIRST_KEYS]
    text = ", ".join(f"{key}={_summary_value(detail[key])}" for key in keys)
    return _short(text, width)


def describe(record: AuditRecord) -> str:
    """One line for people: ``#12 2025-03-01 09:00:00Z user:zhang decision case C-1 v2: outcome=approve, ...``."""
    when = record.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    case = ""
    if record.case_id is not None:
        case = f" case {record.case_id}" + (f" v{record.case_version}" if record.case_version is not None else "")
    summary = summarise_detail(record.detail) if record.detail else ""
    return f"#{record.seq} {when} {record.actor} {record.action}{case}" + (f": {summary}" if summary else "")


def review_detail(decision: Decision) -> dict[str, Any]:
    """The ``detail`` of a ``review`` record: matter, pack id and version, engine, outcome and every finding with
    its rule, outcome, message, basis and the facts it read."""
    return {"matter": decision.matter, "pack": {"id": decision.pack_id, "version": decision.pack_version},
            "engine": decision.engine, "outcome": decision.outcome,
            "findings": [finding.to_dict() for finding in decision.findings]}


# -- the trail ----------------------------------------------------------------------------------------------------

class AuditTrail:
    """Write, read and verify the audit trail of a :class:`~govauto.store.Store`.

    :param store: the database.
    :param clock: returns the current time (aware UTC); tests pass a fake clock.
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self._clock = clock or _utcnow

    def __repr__(self) -> str:
        return f"AuditTrail({self.store.display_url!r})"

    def record(self, action: str, *, actor: str, case_id: str | None = None, case_version: int | None = None,
               detail: Mapping[str, Any] | None = None, conn: Connection | None = None) -> AuditRecord:
        """Append a record (see :func:`append` for the fields) and return it.

        :param conn: a connection from ``store.begin(write=True)`` to write the record in the caller's
            transaction; without it the record is written in its own. In a process that holds a write transaction
            already, pass that transaction's connection: a second one would wait for the first's lock.
        :raises AuditError: a field does not fit, or ``conn`` is not a write transaction.
        :raises StoreError: the database cannot be used.
        """
        if conn is not None:
            return append(conn, action, actor=actor, case_id=case_id, case_version=case_version, detail=detail,
                          at=self._clock())
        with self.store.begin(write=True) as own:
            return append(own, action, actor=actor, case_id=case_id, case_version=case_version, detail=detail,
                          at=self._clock())

    def for_case(self, case_id: str) -> list[AuditRecord]:
        """The case's records in chain order (empty when there is none)."""
        query = select(audit_records).where(audit_records.c.case_id == case_id).order_by(audit_records.c.seq)
        with self.store.begin() as conn:
            return [AuditRecord.from_row(row) for row in conn.execute(query)]

    def all(self, since_seq: int | None = None, limit: int | None = None) -> list[AuditRecord]:
        """Every record in chain order; with ``since_seq``, only those after it; at most ``limit``."""
        query = select(audit_records).order_by(audit_records.c.seq)
        if since_seq is not None:
            query = query.where(audit_records.c.seq > since_seq)
        if limit is not None:
            query = query.limit(limit)
        with self.store.begin() as conn:
            return [AuditRecord.from_row(row) for row in conn.execute(query)]

    def head(self) -> Anchor | None:
        """The last record's seq and hash (``None`` when the trail is empty): keep it outside the database and
        pass it to :meth:`verify` later to detect that the chain was cut or rewritten."""
        query = select(audit_records.c.seq, audit_records.c.hash).order_by(audit_records.c.seq.desc()).limit(1)
        with self.store.begin() as conn:
            row = conn.execute(query).first()
        return None if row is None else Anchor(row.seq, row.hash)

    def verify(self, *, anchors: Iterable[Anchor] = ()) -> VerifyReport:
        """Walk the whole chain in ``seq`` order, recomputing every hash, and report every problem.

        The walk reads one consistent snapshot (records appended meanwhile are not seen) and streams the rows,
        so memory does not grow with the trail. Values are read as stored (not through the column types), so a
        record edited into something unreadable is reported, not raised.

        :param anchors: heads kept earlier (:meth:`head`): each record they name must still exist with that hash.
        :raises StoreError: the database cannot be used.
        """
        wanted = {anchor.seq: anchor.hash for anchor in anchors}
        c = audit_records.c
        query = (select(c.seq, c.id, c.case_id, c.case_version, type_coerce(c.at, String).label("at"), c.actor,
                        c.action, type_coerce(c.detail, Text).label("detail"), c.prev_hash, c.hash)
                 .order_by(c.seq))
        problems: list[AuditProblem] = []
        count = 0
        prev_seq = 0
        prev_hash = GENESIS_HASH
        seen: dict[int, tuple[str, str, str | None]] = {}
        with self.store.begin() as conn:
            for row in conn.execution_options(yield_per=2000).execute(query):
                m = row._mapping
                seq, record_id, case_id = m["seq"], m["id"], m["case_id"]
                count += 1
                before = f"seq {prev_seq}" if prev_seq else "the start of the chain"
                missing = _missing(prev_seq, seq)
                link: tuple[ProblemKind, str] | None = None
                if m["prev_hash"] != prev_hash:
                    link = ("deleted_or_reordered",
                            f"{missing} missing between {before} and seq {seq}, and seq {seq} does not link to "
                            f"{before}: the missing record(s) were deleted" if missing else
                            f"seq {seq} does not link to {before} (its prev_hash is not that record's hash): records "
                            f"were reordered, or deleted and the later ones renumbered, or {before} was rewritten "
                            "together with its hash")
                elif missing:
                    link = ("gap", f"{missing} missing between {before} and seq {seq}, although seq {seq} links to "
                                   f"{before}: records were renumbered")
                if link is not None:
                    problems.append(AuditProblem(link[0], seq, record_id, case_id, link[1]))
                why = _content_problem(m)
                if why is not None:
                    problems.append(AuditProblem("edited", seq, record_id, case_id, why))
                if seq in wanted:
                    seen[seq] = (m["hash"], record_id, case_id)
                prev_seq, prev_hash = seq, m["hash"]
        for seq, digest in sorted(wanted.items()):
            if seq not in seen:
                end = f"it ends at seq {prev_seq}" if count else "it is empty"
                problems.append(AuditProblem("anchor", seq, None, None, f"the anchor names seq {seq} but the chain "
                                             f"has no such record ({end}): records were deleted from it"))
            elif seen[seq][0] != digest:
                found, record_id, case_id = seen[seq]
                problems.append(AuditProblem("anchor", seq, record_id, case_id, f"its hash is {found}, the anchor "
                                             f"says {digest}: the chain was rewritten at or before this record"))
        head = Anchor(prev_seq, prev_hash) if count else None
        return VerifyReport(records=count, head=head, problems=problems)


def _missing(prev_seq: int, seq: int) -> str:
    """``"seq 5"``, ``"seq 5-7"`` or ``""``: the numbers between two consecutive records' seqs."""
    first, last = prev_seq + 1, seq - 1
    if last < first:
        return ""
    return f"seq {first} is" if first == last else f"seq {first}-{last} are"
