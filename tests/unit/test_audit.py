"""The audit trail: the hash chain, tampering found and named, concurrent writers, the ``govauto audit`` CLI; each
test that uses a database runs on SQLite and on PostgreSQL (the ``store_url`` fixture)."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import create_engine, exc
from typer.testing import CliRunner

from govauto.audit import (
    GENESIS_HASH,
    Anchor,
    AuditRecord,
    AuditTrail,
    append,
    canonical_bytes,
    compute_hash,
    describe,
    review_detail,
    summarise_detail,
)
from govauto.audit_cli import audit_app
from govauto.errors import AuditError, AuditIntegrityError
from govauto.outcome import Decision, Finding
from govauto.store import Store, open_store
from govauto.store.audit_schema import APPEND_ONLY_MESSAGE
from tests.store_backends import raw_execute

ID_NUMBER = "110101199003071233"
MASKED = "110101********1233"


class Clock:
    """Starts at a fixed time and moves one second per call."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, 0, 250_000, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def db_url(store_url: str) -> str:
    return store_url


@pytest.fixture
def store(db_url: str) -> Store:
    return open_store(db_url)


@pytest.fixture
def trail(store: Store) -> AuditTrail:
    return AuditTrail(store, clock=Clock())


def fill(trail: AuditTrail, n: int = 6) -> list[AuditRecord]:
    """n records over two cases and a system event; case C-1 gets an ID number in its detail."""
    records = [trail.record("system.started", actor="machine:govauto 0.3.0", detail={"pid": 1})]
    for i in range(1, n):
        case = "C-1" if i % 2 else "C-2"
        records.append(trail.record("view" if i > 2 else "intake", actor=f"user:u{i}", case_id=case, case_version=1,
                                    detail={"i": i, "id_number": ID_NUMBER, "applicant": {"name": "张三"}}))
    return records


def tamper(db_url: str, *statements: str) -> None:
    """Change the database the way someone with write access would: drop the append-only triggers, then write."""
    on = " ON audit_records" if db_url.startswith("postgresql") else ""
    raw_execute(db_url, [f"DROP TRIGGER IF EXISTS audit_records_no_update{on}",
                         f"DROP TRIGGER IF EXISTS audit_records_no_delete{on}", *statements])


def raw_detail(db_url: str, seq: int) -> str:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            query = sqlalchemy.text("SELECT detail FROM audit_records WHERE seq = :seq")
            return str(conn.execute(query, {"seq": seq}).scalar())
    finally:
        engine.dispose()


def kinds_at(trail: AuditTrail) -> list[tuple[str, int]]:
    return [(p.kind, p.seq) for p in trail.verify().problems]


# -- the chain ----------------------------------------------------------------------------------------------------

def test_records_form_one_chain_from_the_genesis_hash(trail: AuditTrail) -> None:
    written = fill(trail)
    stored = trail.all()
    assert stored == written
    assert [r.seq for r in stored] == [1, 2, 3, 4, 5, 6]
    assert stored[0].prev_hash == GENESIS_HASH == "0" * 64
    for before, after in itertools.pairwise(stored):
        assert after.prev_hash == before.hash
        assert after.at > before.at
    for record in stored:
        assert record.hash == record.expected_hash()
        assert len(record.hash) == 64 and record.id.startswith("A")
    assert len({r.id for r in stored}) == len(stored)
    assert [r.seq for r in trail.for_case("C-1")] == [2, 4, 6]
    assert trail.for_case("C-1")[0].detail["id_number"] == ID_NUMBER  # stored as is, not masked
    assert trail.for_case("nobody") == []
    assert [r.seq for r in trail.all(since_seq=4)] == [5, 6]
    assert [r.seq for r in trail.all(limit=2)] == [1, 2]
    assert trail.head() == Anchor(6, stored[-1].hash)


def test_verify_passes_on_an_untouched_chain(trail: AuditTrail) -> None:
    assert trail.verify().ok and trail.verify().records == 0 and trail.verify().head is None
    records = fill(trail, 20)
    report = trail.verify(anchors=[Anchor(5, records[4].hash), Anchor(20, records[-1].hash)])
    assert report.ok, report.problems
    assert report.records == 20
    assert report.head == Anchor(20, records[-1].hash)
    report.raise_for_problems()  # nothing to raise


def test_the_detail_is_hashed_as_it_reads_back(trail: AuditTrail) -> None:
    when = datetime(2025, 3, 1, 17, 0, tzinfo=timezone(timedelta(hours=8)))
    record = trail.record("extraction", actor="machine:govauto 0.3.0", case_id="C-1", detail={
        "pages": (1, 2), "read_at": when, "file": Path("materials/id.jpg"), "confidence": 0.93, "empty": None})
    assert record.detail == {"pages": [1, 2], "read_at": "2025-03-01T17:00:00+08:00", "file": "materials/id.jpg",
                             "confidence": 0.93, "empty": None}
    assert trail.all() == [record]
    assert trail.verify().ok


# -- the canonical form -------------------------------------------------------------------------------------------

GOLDEN_FIELDS: dict[str, Any] = {
    "seq": 1, "id": "A00000000000001abcdef", "case_id": "C-2025-0001", "case_version": 2,
    "at": datetime(2025, 3, 1, 9, 0, 0, 123456, tzinfo=UTC), "actor": "user:zhang", "action": "decision",
    "detail": {"outcome": "approve", "machine_outcome": "refer", "reason": "材料齐全，予以登记",
               "findings_kept": ["applicant.age"], "confidence": 0.93, "n": 3, "ok": True, "none": None,
               "b": {"z": 1, "a": 2}},
    "prev_hash": GENESIS_HASH,
}
GOLDEN_TEXT = (
    'govauto-audit-v1\n{"action":"decision","actor":"user:zhang","at":"2025-03-01T09:00:00.123456Z",'
    '"case_id":"C-2025-0001","case_version":2,"detail":{"b":{"a":2,"z":1},"confidence":0.93,'
    '"findings_kept":["applicant.age"],"machine_outcome":"refer","n":3,"none":null,"ok":true,"outcome":"approve",'
    '"reason":"材料齐全，予以登记"},"id":"A00000000000001abcdef","prev_hash":"' + "0" * 64 + '","seq":1}'
)
GOLDEN_HASH = "dfa1853dc731686fb8215d987b88f836b2c40268d6baf0431bb555fa84a884be"


def test_the_canonical_form_and_hash_are_pinned() -> None:
    """A change to the serialisation breaks every stored chain: this test fails first."""
    assert canonical_bytes(**GOLDEN_FIELDS) == GOLDEN_TEXT.encode("utf-8")
    assert hashlib.sha256(GOLDEN_TEXT.encode("utf-8")).hexdigest() == GOLDEN_HASH
    assert compute_hash(**GOLDEN_FIELDS) == GOLDEN_HASH


def test_the_canonical_form_does_not_depend_on_key_order_or_time_zone() -> None:
    shuffled = dict(reversed(list(GOLDEN_FIELDS.items())))
    shuffled["detail"] = dict(reversed(list(GOLDEN_FIELDS["detail"].items())))
    shuffled["at"] = GOLDEN_FIELDS["at"].astimezone(timezone(timedelta(hours=8)))
    assert compute_hash(**shuffled) == GOLDEN_HASH
    for name, value in (("seq", 2), ("prev_hash", "1" * 64), ("case_version", None), ("actor", "user:li"),
                        ("at", GOLDEN_FIELDS["at"] + timedelta(microseconds=1))):
        assert compute_hash(**{**GOLDEN_FIELDS, name: value}) != GOLDEN_HASH, name


# -- tampering ----------------------------------------------------------------------------------------------------

def test_the_database_refuses_updates_and_deletes_of_audit_records(trail: AuditTrail, db_url: str) -> None:
    fill(trail, 3)
    statements = ["UPDATE audit_records SET actor = 'user:x' WHERE seq = 2", "DELETE FROM audit_records"]
    if db_url.startswith("postgresql"):
        statements.append("TRUNCATE audit_records")
    for statement in statements:
        with pytest.raises(exc.IntegrityError, match=APPEND_ONLY_MESSAGE):
            raw_execute(db_url, [statement])
    assert trail.verify().ok and trail.verify().records == 3


def test_editing_one_byte_of_a_detail_is_found_and_named(trail: AuditTrail, db_url: str) -> None:
    records = fill(trail, 8)
    target = records[4]  # seq 5, case C-1
    assert '"i":4' in raw_detail(db_url, 5)
    tamper(db_url, "UPDATE audit_records SET detail = replace(detail, '\"i\":4', '\"i\":5') WHERE seq = 5")
    report = trail.verify()
    assert not report.ok
    assert [(p.kind, p.seq, p.id, p.case_id) for p in report.problems] == [("edited", 5, target.id, "C-2")]
    assert "changed after it was written" in report.problems[0].message
    with pytest.raises(AuditIntegrityError, match=f"seq 5 \\(id {target.id}, case C-2\\): edited") as info:
        report.raise_for_problems()
    assert info.value.records == 8 and len(info.value.problems) == 1


@pytest.mark.parametrize("statement", [
    "UPDATE audit_records SET actor = 'user:mallory' WHERE seq = 3",
    "UPDATE audit_records SET action = 'decision' WHERE seq = 3",
    "UPDATE audit_records SET case_id = 'C-9' WHERE seq = 3",
    "UPDATE audit_records SET case_version = 2 WHERE seq = 3",
    "UPDATE audit_records SET at = '2025-03-01 09:00:03.250001' WHERE seq = 3",
    "UPDATE audit_records SET id = 'A0' WHERE seq = 3",
    "UPDATE audit_records SET detail = '{\"i\": 2, \"applicant\": {}}' WHERE seq = 3",
    "UPDATE audit_records SET detail = '{\"i\": 2' WHERE seq = 3",  # no longer JSON
    "UPDATE audit_records SET at = 'yesterday' WHERE seq = 3",  # no longer a time
    "UPDATE audit_records SET hash = '" + "f" * 64 + "' WHERE seq = 3",
])
def test_any_edited_field_is_found(trail: AuditTrail, db_url: str, statement: str) -> None:
    fill(trail, 5)
    tamper(db_url, statement)
    problems = trail.verify().problems
    assert ("edited", 3) in [(p.kind, p.seq) for p in problems]
    # Only a changed hash also breaks the next record's link.
    expected = 2 if "SET hash" in statement else 1
    assert len(problems) == expected, problems


def test_a_deleted_record_in_the_middle_breaks_the_chain_where_it_was(trail: AuditTrail, db_url: str) -> None:
    fill(trail, 10)
    tamper(db_url, "DELETE FROM audit_records WHERE seq = 6")
    problems = trail.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("deleted_or_reordered", 7)]
    assert "seq 6 is missing between seq 5 and seq 7" in problems[0].message


def test_deleting_the_first_records_is_found(trail: AuditTrail, db_url: str) -> None:
    fill(trail, 5)
    tamper(db_url, "DELETE FROM audit_records WHERE seq IN (1, 2)")
    problems = trail.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("deleted_or_reordered", 3)]
    assert "seq 1-2 are missing between the start of the chain and seq 3" in problems[0].message


def test_swapping_two_records_seq_is_found(trail: AuditTrail, db_url: str) -> None:
    fill(trail, 8)
    tamper(db_url, "UPDATE audit_records SET seq = -3 WHERE seq = 3",
           "UPDATE audit_records SET seq = 3 WHERE seq = 6",
           "UPDATE audit_records SET seq = 6 WHERE seq = -3")
    problems = kinds_at(trail)
    assert ("edited", 3) in problems and ("edited", 6) in problems
    assert {seq for kind, seq in problems if kind == "deleted_or_reordered"} == {3, 4, 6, 7}
    assert {seq for _, seq in problems} <= {3, 4, 6, 7}


def test_a_record_rewritten_with_its_hash_breaks_the_next_link(trail: AuditTrail, db_url: str) -> None:
    records = fill(trail, 5)
    forged = {**records[2].to_dict(), "actor": "user:mallory"}
    forged["at"] = records[2].at
    new_hash = compute_hash(**{k: v for k, v in forged.items() if k != "hash"})
    tamper(db_url, f"UPDATE audit_records SET actor = 'user:mallory', hash = '{new_hash}' WHERE seq = 3")
    problems = trail.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("deleted_or_reordered", 4)]
    assert "seq 3 was rewritten together with its hash" in problems[0].message


def test_renumbered_records_are_a_gap(trail: AuditTrail, db_url: str) -> None:
    records = fill(trail, 4)
    last = records[-1]
    moved = {**last.to_dict(), "seq": 9, "at": last.at}
    new_hash = compute_hash(**{k: v for k, v in moved.items() if k != "hash"})
    tamper(db_url, f"UPDATE audit_records SET seq = 9, hash = '{new_hash}' WHERE seq = 4")
    problems = trail.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("gap", 9)]
    assert "seq 4-8 are missing" in problems[0].message


def test_anchors_find_a_cut_or_rewritten_chain(trail: AuditTrail, db_url: str) -> None:
    fill(trail, 6)
    head = trail.head()
    assert head is not None and head.seq == 6
    assert Anchor.parse(str(head)) == head
    tamper(db_url, "DELETE FROM audit_records WHERE seq >= 5")
    assert trail.verify().ok  # without an anchor, a cut end leaves an intact chain
    problems = trail.verify(anchors=[head]).problems
    assert [(p.kind, p.seq) for p in problems] == [("anchor", 6)]
    assert "no such record (it ends at seq 4)" in problems[0].message
    wrong = Anchor(4, "0" * 64)
    assert [(p.kind, p.seq) for p in trail.verify(anchors=[wrong]).problems] == [("anchor", 4)]
    for text in ("6", "x:" + "0" * 64, "0:" + "0" * 64, "6:abc"):
        with pytest.raises(AuditError, match="SEQ:HASH"):
            Anchor.parse(text)


# -- writing ------------------------------------------------------------------------------------------------------

def test_a_record_written_in_the_callers_transaction_commits_or_rolls_back_with_it(store: Store,
                                                                                trail: AuditTrail) -> None:
    with store.begin(write=True) as conn:
        record = trail.record("decision", actor="user:zhang", case_id="C-1", detail={"outcome": "approve"},
                              conn=conn)
        appended = append(conn, "notice", actor="machine:govauto 0.3.0", case_id="C-1")
    assert [r.seq for r in trail.all()] == [1, 2] and record.seq == 1 and appended.prev_hash == record.hash
    with pytest.raises(RuntimeError), store.begin(write=True) as conn:
        trail.record("decision", actor="user:zhang", case_id="C-1", conn=conn)
        raise RuntimeError("the caller's change failed")
    assert [r.seq for r in trail.all()] == [1, 2]
    with store.begin() as conn, pytest.raises(AuditError, match=r"store.begin\(write=True\)"):
        trail.record("view", actor="user:zhang", case_id="C-1", conn=conn)
    assert trail.verify().ok


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"action": "Review"}, "dotted lower-case id"),
    ({"action": "review."}, "dotted lower-case id"),
    ({"actor": "zhang"}, "'kind:name'"),
    ({"actor": "user:zhang\nforged line"}, "'kind:name'"),
    ({"case_id": ""}, "case_id"),
    ({"case_id": None, "case_version": 1}, "needs the case_id"),
    ({"case_version": -1}, "whole number"),
    ({"detail": ["not", "a", "mapping"]}, "must be a mapping"),
    ({"detail": {"score": float("nan")}}, "cannot be stored as JSON"),
    ({"detail": {"blob": b"bytes"}}, "cannot be stored as JSON"),
    ({"detail": {"robot": {"login": {"user": "ops", "Password": "hunter2"}}}}, r"detail\.robot\.login\.Password"),
    ({"detail": {"items": [{"api_key": "k"}]}}, r"detail\.items\[0\]\.api_key"),
])
def test_records_that_do_not_fit_are_refused_with_the_reason(trail: AuditTrail, kwargs: dict[str, Any],
                                                             match: str) -> None:
    fields: dict[str, Any] = {"action": "review", "actor": "machine:govauto 0.3.0", "case_id": "C-1",
                              "case_version": None, "detail": {}}
    fields.update(kwargs)
    action = fields.pop("action")
    with pytest.raises(AuditError, match=match):
        trail.record(action, **fields)
    assert trail.all() == []


def test_a_naive_clock_is_refused(store: Store) -> None:
    trail = AuditTrail(store, clock=lambda: datetime(2025, 3, 1, 9, 0))
    with pytest.raises(AuditError, match="no time zone"):
        trail.record("view", actor="user:zhang", case_id="C-1")


def _append_many(url: str, worker: int, n: int) -> list[int]:
    trail = AuditTrail(open_store(url))
    seqs = [trail.record("view", actor=f"worker:w{worker}", case_id=f"C-{worker}", detail={"i": i}).seq
            for i in range(n)]
    trail.store.dispose()
    return seqs


def test_concurrent_appends_from_several_processes_form_one_chain(db_url: str, store: Store) -> None:
    url = db_url
    store.dispose()
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_append_many, [url] * 4, range(4), [50] * 4))
    trail = AuditTrail(open_store(url))
    report = trail.verify()
    assert report.ok, report.problems[:5]
    assert report.records == 200
    returned = sorted(seq for seqs in results for seq in seqs)
    assert returned == list(range(1, 201))
    for worker, seqs in enumerate(results):
        assert seqs == sorted(seqs)
        assert [r.detail["i"] for r in trail.for_case(f"C-{worker}")] == list(range(50))


# -- reading ------------------------------------------------------------------------------------------------------

def test_describe_and_review_detail() -> None:
    decision = Decision(case_id="C-1", matter="sole_proprietor.establish", pack_id="sole_proprietor.establish",
                        pack_version="1.2.0", outcome="correct", engine="python", findings=(
                            Finding("premises.proof", "correct", "bring the lease", "第十条", {"x": 1}),
                            Finding("applicant.age", "note", "older than 60", "—")))
    detail = review_detail(decision)
    assert detail == {"matter": "sole_proprietor.establish",
                      "pack": {"id": "sole_proprietor.establish", "version": "1.2.0"}, "engine": "python",
                      "outcome": "correct", "findings": [f.to_dict() for f in decision.findings]}
    record = AuditRecord(seq=12, id="A1", case_id="C-1", case_version=2, at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
                         actor="machine:govauto 0.3.0", action="review", detail=detail, prev_hash="0" * 64,
                         hash="1" * 64)
    assert describe(record) == (
        "#12 2025-03-01 09:00:00Z machine:govauto 0.3.0 review case C-1 v2: outcome=correct, "
        "pack=sole_proprietor.establish@1.2.0, engine=python, findings=2 (premises.proof, applicant.age), matte…")
    long = summarise_detail({f"k{i}": i for i in range(100)}, width=50)
    assert len(long) == 50 and long.startswith("k0=0, k1=1") and long.endswith("…")
    assert (summarise_detail({"text": "x" * 500, "items": [1, 2], "m": {"a": 1}})
            == f"text={'x' * 39}…, items=[2 items], m={{1 key}}")


# -- the CLI ------------------------------------------------------------------------------------------------------

def run(db_url: str, *args: str) -> Any:
    return CliRunner().invoke(audit_app, ["--db", db_url, *args])


def test_cli_show_prints_the_cases_records_with_id_numbers_masked(trail: AuditTrail, db_url: str) -> None:
    fill(trail, 6)
    result = run(db_url, "show", "C-1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "audit trail of case C-1: 3 record(s), times in local time"
    assert [line.split()[0] for line in lines[1:]] == ["#2", "#4", "#6"]
    assert "user:u1  intake v1  i=1, id_number=" in lines[1] and "user:u5  view v1" in lines[3]
    assert MASKED in result.output and ID_NUMBER not in result.output
    assert "user:u2" not in result.output  # case C-2's record
    lines = run(db_url, "show", "C-1", "--json").output.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [row["seq"] for row in rows] == [2, 4, 6]
    assert rows[0]["detail"]["id_number"] == MASKED
    assert rows[0]["at"].endswith("Z") and rows[0]["hash"] == trail.for_case("C-1")[0].hash
    assert ID_NUMBER not in "".join(lines)


def test_cli_show_of_an_unknown_case_exits_2(trail: AuditTrail, db_url: str) -> None:
    fill(trail, 3)
    result = run(db_url, "show", f"C-{ID_NUMBER}")
    assert result.exit_code == 2
    assert "no audit record names the case" in result.output and ID_NUMBER not in result.output


def test_cli_verify_exit_codes_and_problems(trail: AuditTrail, db_url: str) -> None:
    records = fill(trail, 6)
    result = run(db_url, "verify")
    assert result.exit_code == 0, result.output
    assert f"chain intact: 6 records (head 6:{records[-1].hash})" in result.output
    head = run(db_url, "head").output.strip()
    assert head == f"6:{records[-1].hash}"
    assert json.loads(run(db_url, "head", "--json").output) == {"seq": 6, "hash": records[-1].hash}

    tamper(db_url, "UPDATE audit_records SET detail = replace(detail, '张三', '李四') WHERE seq = 4",
           "DELETE FROM audit_records WHERE seq = 6")
    result = run(db_url, "verify")
    assert result.exit_code == 1
    assert "chain broken: 1 problem(s) in 5 records" in result.output
    assert f"seq 4 (id {records[3].id}, case C-1): edited" in result.output
    result = run(db_url, "verify", "--anchor", head)
    assert result.exit_code == 1 and "seq 6: anchor: the anchor names seq 6" in result.output
    report = json.loads(run(db_url, "verify", "--json", "--anchor", head).output)
    assert report["ok"] is False and report["records"] == 5
    assert [(p["kind"], p["seq"]) for p in report["problems"]] == [("edited", 4), ("anchor", 6)]
    result = run(db_url, "verify", "--anchor", "6")
    assert result.exit_code == 2 and "SEQ:HASH" in result.output


def test_cli_on_an_empty_trail(db_url: str) -> None:
    result = run(db_url, "verify")
    assert result.exit_code == 0 and "chain intact: 0 records" in result.output
    assert json.loads(run(db_url, "verify", "--json").output) == {"ok": True, "records": 0, "head": None,
                                                                   "problems": []}
    assert run(db_url, "head").exit_code == 0
