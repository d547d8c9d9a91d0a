"""Case versions: a resubmission is the next version, history is kept, outcomes are recorded with who decided."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import govauto
from govauto.casework import CaseStore, ReviewQueue, WorkCalendar
from govauto.errors import CaseNotFoundError, CaseStateError, CaseworkError
from govauto.extract.model import Field, Source
from govauto.extract.pipeline import Extraction
from govauto.outcome import Decision, Finding
from govauto.store import Store, open_store
from govauto.store.casework_schema import case_versions

NAME = Finding("name.suffix", "correct", "名称应含“（个体工商户）”。", "实施办法 第五十三条", {"business.name": "x"})
REFER = Finding("applicant.public_servant", "refer", "需人工核实。", "《公务员法》第五十九条")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store(store_url: str) -> Store:
    return open_store(store_url)


@pytest.fixture
def cases(store: Store) -> CaseStore:
    return CaseStore(store, clock=Clock())


def submit(cases: CaseStore, runtime: govauto.Runtime, data: dict[str, Any], tmp_path: Path, outcome: str,
           *findings: Finding, extractions: tuple[Extraction, ...] = ()) -> Any:
    case = runtime.load_case(data)
    decision = Decision(case.case_id, case.matter, "sole_proprietor.establish", "1.0.0", outcome,  # type: ignore[arg-type]
                        tuple(findings))
    return cases.intake(case, decision=decision, extractions=extractions, base_dir=tmp_path, actor="portal")


def id_card_extraction() -> Extraction:
    source = Source("materials/id.jpg", 1, (10.0, 20.5, 300.25, 60.0), "rapidocr")
    name = Field("张三", 0.97, source, raw="张三")
    number = Field("110101199003071233", 0.62, source, raw="11010119900307123З", valid=True)
    return Extraction("materials/id.jpg", "id_card", "ab" * 32, "image/jpeg", "id_card_front",
                      fields={"name": name, "id_number": number}, thresholds={"id_number": 0.9}, pages=1,
                      engines=["rapidocr"])


def test_a_resubmission_is_the_next_version_and_history_is_kept(cases: CaseStore, runtime: govauto.Runtime,
                                                                 valid_case: dict[str, Any], tmp_path: Path) -> None:
    first = submit(cases, runtime, valid_case, tmp_path, "correct", NAME, extractions=(id_card_extraction(),))
    assert (first.version, first.status, first.final_decision) == (1, "correcting", None)
    assert first.machine_outcome == "correct" and first.created_by == "portal"
    assert first.base_dir == tmp_path.resolve()
    field = first.extractions[0]["fields"]["id_number"]
    assert (first.extractions[0]["file"], first.extractions[0]["doc_type"]) == ("materials/id.jpg", "id_card_front")
    assert (field["value"], field["confidence"], field["threshold"]) == ("110101199003071233", 0.62, 0.9)
    assert field["source"] == {"file": "materials/id.jpg", "page": 1, "bbox": [10.0, 20.5, 300.2, 60.0],
                               "engine": "rapidocr", "unit": "px"}

    corrected = {**valid_case, "submitted_at": "2026-11-24T10:00:00+08:00",
                 "applicant": {**valid_case["applicant"], "phone": "13900000000"}}
    second = submit(cases, runtime, corrected, tmp_path, "approve")
    assert (second.version, second.status) == (2, "approved")
    assert second.case["applicant"]["phone"] == "13900000000" and second.extractions == []

    old = cases.get(first.case_id, 1)
    assert old.status == "superseded"  # it waited for 补正; the resubmission replaced it
    assert old.case == first.case and old.machine_decision == first.machine_decision  # nothing else changed
    assert old.machine_decision["findings"][0]["facts"] == {"business.name": "x"}
    assert old.extractions == first.extractions
    assert cases.get(first.case_id) == second
    assert [r.version for r in cases.versions(first.case_id)] == [1, 2]
    assert [(e.version, e.event) for e in cases.events(first.case_id)] == [(1, "intake"), (2, "intake"),
                                                                           (1, "superseded")]
    assert runtime.load_case(second.case).case_id == first.case_id  # the stored form validates again


def test_list_returns_the_latest_version_of_each_case(cases: CaseStore, runtime: govauto.Runtime,
                                                      valid_case: dict[str, Any], tmp_path: Path) -> None:
    submit(cases, runtime, {**valid_case, "case_id": "A"}, tmp_path, "refer", REFER)
    submit(cases, runtime, {**valid_case, "case_id": "B"}, tmp_path, "correct", NAME)
    submit(cases, runtime, {**valid_case, "case_id": "B"}, tmp_path, "refer", REFER)
    assert [(r.case_id, r.version) for r in cases.list()] == [("B", 2), ("A", 1)]
    assert [r.case_id for r in cases.list(status="referred")] == ["B", "A"]
    assert cases.list(status="correcting") == []
    assert [r.case_id for r in cases.list(matter="sole_proprietor.establish", limit=1)] == ["B"]
    assert cases.list(matter="other.matter") == []
    with pytest.raises(CaseworkError, match="unknown case status 'done'"):
        cases.list(status="done")


def test_set_outcome_records_the_final_decision_and_who_made_it(cases: CaseStore, runtime: govauto.Runtime,
                                                                valid_case: dict[str, Any], tmp_path: Path) -> None:
    record = submit(cases, runtime, valid_case, tmp_path, "refer", REFER)
    still = cases.set_outcome(record.case_id, 1, "refer", decided_by="user:zhang")
    assert still.status == "referred" and still.final_decision is None
    done = cases.set_outcome(record.case_id, 1, "correct", decided_by="user:zhang+li", detail={"task": "R1"})
    assert done.status == "correcting"
    assert done.final_decision is not None
    assert {k: done.final_decision[k] for k in ("outcome", "status", "decided_by", "detail")} == {
        "outcome": "correct", "status": "correcting", "decided_by": "user:zhang+li", "detail": {"task": "R1"}}
    again = cases.set_outcome(record.case_id, 1, "approved", decided_by="machine:govauto")  # a status works too
    assert again.status == "approved" and again.final_decision is not None
    assert again.final_decision["outcome"] == "approve"
    history = [e for e in cases.events(record.case_id) if e.event == "outcome"]
    assert [e.detail["status"] for e in history] == ["referred", "correcting", "approved"]
    assert history[-1].detail["previous_final"]["decided_by"] == "user:zhang+li"  # the replaced decision is kept
    with pytest.raises(CaseworkError, match="unknown outcome 'accept'"):
        cases.set_outcome(record.case_id, 1, "accept", decided_by="user:zhang")
    with pytest.raises(CaseworkError, match="needs who decided"):
        cases.set_outcome(record.case_id, 1, "approve", decided_by=" ")


def test_a_superseded_version_cannot_be_decided(cases: CaseStore, runtime: govauto.Runtime,
                                                valid_case: dict[str, Any], tmp_path: Path) -> None:
    submit(cases, runtime, valid_case, tmp_path, "refer", REFER)
    submit(cases, runtime, valid_case, tmp_path, "refer", REFER)
    with pytest.raises(CaseStateError, match="superseded by version 2"):
        cases.set_outcome(valid_case["case_id"], 1, "approve", decided_by="user:zhang")
    assert cases.set_outcome(valid_case["case_id"], 2, "approve", decided_by="user:zhang").status == "approved"


def test_a_resubmission_closes_the_previous_versions_open_tasks(store: Store, cases: CaseStore,
                                                                runtime: govauto.Runtime, valid_case: dict[str, Any],
                                                                tmp_path: Path) -> None:
    record = submit(cases, runtime, valid_case, tmp_path, "refer", REFER)
    queue = ReviewQueue(store, WorkCalendar.default())
    task = queue.open(record.case_id, 1, reasons=[REFER.rule], findings=[REFER.to_dict()], group="440305")
    submit(cases, runtime, valid_case, tmp_path, "refer", REFER)
    assert queue.get(task.id).status == "closed"
    assert queue.events(task.id)[-1].detail == {"case_version": 2}


def test_unknown_cases_and_mismatched_decisions(cases: CaseStore, store: Store, runtime: govauto.Runtime,
                                                valid_case: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(CaseNotFoundError, match="'nope' is not stored"):
        cases.get("nope")
    with pytest.raises(CaseNotFoundError, match="version 3 of case"):
        submit(cases, runtime, valid_case, tmp_path, "approve")
        cases.get(valid_case["case_id"], 3)
    with pytest.raises(CaseNotFoundError):
        cases.versions("nope")
    case = runtime.load_case(valid_case)
    other = Decision("OTHER", case.matter, "p", "1", "approve", ())
    with pytest.raises(CaseworkError, match="about case 'OTHER'"):
        cases.intake(case, decision=other, base_dir=tmp_path, actor="portal")
    with store.begin() as conn:
        assert len(conn.execute(select(case_versions)).all()) == 1


def test_a_case_id_longer_than_the_store_keeps_is_refused_on_every_database(
        cases: CaseStore, store: Store, runtime: govauto.Runtime, valid_case: dict[str, Any], tmp_path: Path) -> None:
    """PostgreSQL refuses a text longer than its column where SQLite keeps it: govauto refuses it first, on both."""
    with pytest.raises(CaseworkError, match="case_id has 101 characters, more than the 100"):
        submit(cases, runtime, {**valid_case, "case_id": "C" * 101}, tmp_path, "approve")
    longest = submit(cases, runtime, {**valid_case, "case_id": "C" * 100}, tmp_path, "approve")
    assert cases.get("C" * 100).case_id == longest.case_id
