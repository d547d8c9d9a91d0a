"""The whole path of a case: intake → reading its materials → review → the outcome acted on, every step audited.

:func:`process_case` is what ``govauto process`` runs for each case file:

- **intake**: the case is validated and stored as a new version (a resubmission after 补正 is version 2, …);
- **extraction**: its material files are read (engines and versions recorded);
- **review**: its matter's rule pack decides (pack id and version, every finding recorded);
- the **outcome** is acted on: ``approve`` queues the robot job that enters it into the legacy system;
  ``correct`` issues the 一次性告知书 (every deficiency at once, with its legal basis); ``reject`` issues the
  notice with reasons; ``refer`` calls ``govauto_review_requested`` (the built-in plugin opens a task in the review
  queue) and a person decides (:mod:`govauto.decisions`).

Each step appends a record to the case's hash-chained audit trail (:mod:`govauto.audit`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govauto import __version__
from govauto.audit import AuditTrail, review_detail
from govauto.casework import CaseRecord, CaseStore, NoticeItem, correction_notice, rejection_notice
from govauto.extract.pipeline import Extraction
from govauto.model import CaseEnvelope
from govauto.outcome import Decision, Finding
from govauto.runtime import CaseInput, Runtime
from govauto.store import Store, home_dir

MACHINE = f"machine:govauto {__version__}"
"""The actor name of decisions the machine makes."""

CHINA = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class ReviewRequest:
    """A case handed to people, as ``govauto_review_requested`` receives it.

    :ivar reasons: why: the ids of the rules that referred it (``extracted.low_confidence``, …) or ``robot.<kind>``.
    :ivar findings: every finding of the machine's review (JSON contract), so the reviewer sees them all.
    :ivar group: the reviewers' group that handles it (by default the authority's division code).
    :ivar time_limit_days: the matter's legal time limit in working days (the task's due time).
    :ivar sensitive: a decision on it needs a second reviewer's confirmation (four-eyes).
    :ivar store: the project's store (where the built-in implementation opens the task).
    """

    case_id: str
    version: int
    matter: str
    reasons: tuple[str, ...]
    findings: tuple[Mapping[str, Any], ...]
    group: str
    store: Store
    priority: int = 0
    time_limit_days: int | None = None
    sensitive: bool = False
    source: str = "review"
    message: str = ""
    submitted_at: dt.datetime | None = None
    """When the application was submitted: the time limit runs from then."""
    opened: list[str] = field(default_factory=list)
    """Ids of the tasks implementations opened for it (the built-in appends its task id)."""


@dataclass(frozen=True)
class Processed:
    """What :func:`process_case` did with one case."""

    record: CaseRecord
    decision: Decision
    task_ids: tuple[str, ...] = ()
    job_id: str | None = None
    notice_files: tuple[Path, ...] = ()


def review_group(case: CaseEnvelope) -> str:
    """The reviewers' group for a case: its registration authority's division code (``440305``), else ``default``."""
    authority = getattr(case, "authority", None)
    division = getattr(authority, "division", None)
    return str(division) if division else "default"


def process_case(runtime: Runtime, store: Store, case: CaseInput, *, base_dir: Path | str | None = None,
                 actor: str = MACHINE, enqueue: bool = True, notices_dir: Path | None = None) -> Processed:
    """Take a case through intake, extraction and review, act on the outcome, and audit every step.

    :param case: a case file (material paths relative to it), a mapping or a validated case.
    :param base_dir: where relative material paths start (default: the case file's directory).
    :param actor: who submitted it (recorded in the audit trail).
    :param enqueue: queue the robot job of an approved case (default).
    :param notices_dir: where notices are written (default ``$GOVAUTO_HOME/notices``).
    :raises CaseError: when the case does not fit its contract (nothing is stored then).
    """
    valid = runtime.load_case(case)
    if base_dir is None:
        base_dir = Path(case).parent if isinstance(case, (str, Path)) else Path(".")
    base = Path(base_dir).resolve()
    cache = base / ".govauto-cache" if isinstance(case, (str, Path)) else None
    extractions = runtime.extract_case(valid, base, cache_dir=cache)
    decision = runtime.review(valid, extractions=extractions, base_dir=base)
    record = CaseStore(store).intake(valid, decision=decision, extractions=extractions, base_dir=base, actor=actor)
    audit = AuditTrail(store)
    audit.record("intake", actor=actor, case_id=record.case_id, case_version=record.version,
                 detail=_intake_detail(valid, record))
    audit.record("extraction", actor=MACHINE, case_id=record.case_id, case_version=record.version,
                 detail=_extraction_detail(extractions))
    audit.record("review", actor=MACHINE, case_id=record.case_id, case_version=record.version,
                 detail=review_detail(decision))
    task_ids: tuple[str, ...] = ()
    job_id: str | None = None
    notices: tuple[Path, ...] = ()
    if decision.outcome == "refer":
        request = referral(runtime, store, valid, record, decision)
        runtime.plugin_manager.hook.govauto_review_requested(case=valid, task=request)
        task_ids = tuple(request.opened)
        audit.record("referral", actor=MACHINE, case_id=record.case_id, case_version=record.version,
                     detail={"reasons": list(request.reasons), "group": request.group, "tasks": list(task_ids)})
    else:
        stated = [f for f in decision.findings if f.outcome == decision.outcome]  # the deficiencies, or reasons
        job_id, notices = act_on_outcome(runtime, store, valid, record, decision.outcome, stated,
                                         actor=MACHINE, enqueue=enqueue, notices_dir=notices_dir)
    return Processed(record, decision, task_ids, job_id, notices)


def referral(runtime: Runtime, store: Store, case: CaseEnvelope, record: CaseRecord,
             decision: Decision) -> ReviewRequest:
    """The review request for a case the machine referred: its reasons are the referring rules."""
    matter = runtime.matters.get(case.matter)
    reasons = tuple(dict.fromkeys(f.rule for f in decision.findings if f.outcome == "refer"))
    return ReviewRequest(case_id=record.case_id, version=record.version, matter=case.matter, reasons=reasons,
                         findings=tuple(f.to_dict() for f in decision.findings), group=review_group(case),
                         store=store, time_limit_days=matter.time_limit_days if matter else None,
                         message="; ".join(f.message for f in decision.findings if f.outcome == "refer"),
                         submitted_at=case.submitted_at)


def act_on_outcome(runtime: Runtime, store: Store, case: CaseEnvelope, record: CaseRecord, outcome: str,
                   findings: Sequence[Finding | Mapping[str, Any]], *, actor: str, enqueue: bool = True,
                   extra_items: Sequence[str] = (), reasons: Sequence[str] = (),
                   notices_dir: Path | None = None) -> tuple[str | None, tuple[Path, ...]]:
    """Carry out a final outcome, the machine's or a person's: ``approve`` queues the robot job, ``correct`` and
    ``reject`` issue their notice (HTML and PDF). Records the outcome on the case and in the audit trail.

    :param findings: what the notice states: the deficiencies (``correct``) or the reasons (``reject``), as
        findings or their JSON form; ``extra_items`` and ``reasons`` add free-text items.

    :returns: the robot job id (approve) and the notice files written (correct, reject).
    """
    audit = AuditTrail(store)
    items = [_as_dict(f) for f in findings]
    job_id: str | None = None
    files: tuple[Path, ...] = ()
    if outcome == "approve":
        CaseStore(store).set_outcome(record.case_id, record.version, "approved", decided_by=actor, detail={})
        if enqueue and runtime.robot_for(case.matter) is not None:
            from govauto.jobs.queue import JobQueue
            from govauto.robots.enqueue import submit_case

            job, _ = submit_case(JobQueue(store), runtime, case, base_dir=record.base_dir)
            job_id = job.id
            audit.record("robot_queued", actor=actor, case_id=record.case_id, case_version=record.version,
                         detail={"job": job.id, "robot": job.robot, "target": job.target})
    elif outcome in ("correct", "reject"):
        notice_items = [NoticeItem(rule=i.get("rule"), message=str(i.get("message", "")),
                                   basis=str(i.get("basis", "")), remedy=str(i.get("remedy", ""))) for i in items]
        notice_items += [NoticeItem(rule=None, message=text, basis="", remedy="") for text in [*extra_items, *reasons]]
        authority = getattr(getattr(case, "authority", None), "name", "") or ""
        today = dt.datetime.now(CHINA).date()
        make = correction_notice if outcome == "correct" else rejection_notice
        notice = make(record, notice_items, authority=authority, issued_on=today, reviewer=actor)
        directory = (notices_dir or home_dir() / "notices") / record.case_id / f"v{record.version}"
        directory.mkdir(parents=True, exist_ok=True)
        stem = "correction_notice" if outcome == "correct" else "rejection_notice"
        html, pdf = directory / f"{stem}.html", directory / f"{stem}.pdf"
        html.write_text(notice.html, encoding="utf-8")
        pdf.write_bytes(notice.pdf)
        files = (html, pdf)
        status = "correcting" if outcome == "correct" else "rejected"
        CaseStore(store).set_outcome(record.case_id, record.version, status, decided_by=actor,
                                     detail={"items": [i.message for i in notice_items]})
        audit.record("notice", actor=actor, case_id=record.case_id, case_version=record.version,
                     detail={"kind": stem, "items": [{"rule": i.rule, "message": i.message, "basis": i.basis}
                                                     for i in notice_items],
                             "files": {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}})
    return job_id, files


def _intake_detail(case: CaseEnvelope, record: CaseRecord) -> dict[str, Any]:
    return {"matter": case.matter, "submitted_at": str(case.submitted_at), "version": record.version,
            "materials": [{"kind": m.kind, "file": m.file, "source": m.source} for m in case.materials]}


@functools.cache
def engine_versions() -> dict[str, str]:
    """The versions of the libraries and programs that read materials, for the audit trail."""
    from importlib import metadata

    versions: dict[str, str] = {}
    for package in ("pdfplumber", "pypdfium2", "pytesseract", "rapidocr-onnxruntime", "rapidocr", "onnxruntime"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    try:
        import pytesseract

        versions["tesseract"] = str(pytesseract.get_tesseract_version())
    except Exception:  # not installed: scans are then read by another engine, or referred
        pass
    return versions


def _extraction_detail(extractions: Sequence[Extraction]) -> dict[str, Any]:
    return {"govauto": __version__, "versions": engine_versions() if extractions else {},
            "files": [{"file": e.file, "sha256": e.sha256, "doc_type": e.doc_type, "engines": e.engines,
                       "error": e.error,
                       "fields": {name: {"value": f.value, "confidence": round(f.confidence, 3)}
                                  for name, f in e.fields.items()}} for e in extractions]}


def _as_dict(finding: Finding | Mapping[str, Any]) -> dict[str, Any]:
    return finding.to_dict() if isinstance(finding, Finding) else dict(finding)
