"""KPIs for the PDCA loop: what the machine decided, what people changed, how long each stage took.

:func:`build_report` reads the store (case versions, review tasks, robot jobs) and the audit trail for the
submissions whose intake falls in a period of China dates (UTC+8), and returns a :class:`Report`: a
``summary`` of headline figures and named ``tables`` of rows. The report renders as text
(:meth:`Report.to_text`), one JSON object (:meth:`Report.to_dict`), one CSV file per table
(:meth:`Report.write_csv`) and a self-contained HTML page with plotly charts (:meth:`Report.to_html`)::

    from datetime import date
    from govauto.report import build_report

    report = build_report(store, start=date(2026, 11, 1), end=date(2026, 11, 30))
    report.summary["straight_through"]          # {"count": 3, "total": 4, "rate": 0.75}
    report.tables["correction_by_rule"]         # the rules sending most applicants back first

The unit is a **submission**: one version of a case (a resubmission after 补正 is a submission of its own,
reviewed again). See ``docs/report.md`` for every figure's definition.
"""

from __future__ import annotations

import csv
import html
import json
import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select

from govauto.audit import AuditRecord
from govauto.model import CHINA
from govauto.store import Store
from govauto.store.audit_schema import audit_records
from govauto.store.casework_schema import case_versions, review_task_details
from govauto.store.schema import jobs, review_tasks

__all__ = ["STAGES", "TABLE_COLUMNS", "Report", "build_report", "percentile"]

STAGES: Final[Mapping[str, str]] = {
    "intake_to_review": "intake → machine review",
    "referral_to_decision": "referral → a person's final decision",
    "approve_to_receipt": "approval → robot receipt",
    "intake_to_final": "intake → final outcome",
}
"""The stages timed, and how they are shown."""

TABLE_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "outcomes": ("matter", "machine_outcome", "final_outcome", "count"),
    "stage_times": ("stage", "count", "median_seconds", "p90_seconds"),
    "referrals_by_reason": ("reason", "count"),
    "referrals_by_rule": ("rule", "count"),
    "correction_by_rule": ("rule", "count", "submissions", "rate"),
    "sla_breaches": ("task_id", "case_id", "case_version", "group", "status", "kind", "due_at", "decided_at",
                     "late_seconds"),
    "human_decisions": ("machine_outcome", "human_outcome", "count"),
    "overrides_by_rule": ("rule", "decisions", "overrides", "dropped"),
    "robot_jobs": ("status", "error_kind", "count", "rate"),
    "robot_failures_by_kind": ("error_kind", "failed", "needs_review", "count", "rate"),
}
"""Every table of a report and its columns, in order (also the CSV files' headers)."""

_ACTIVE = ("open", "claimed", "assigned", "awaiting_confirmation")
_FINAL_JOB = ("succeeded", "failed", "needs_review", "cancelled")
_FAILED_JOB = ("failed", "needs_review")
_CHUNK = 500


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0-1) of ``values`` by linear interpolation between closest ranks; ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _china_iso(when: datetime) -> str:
    return when.astimezone(CHINA).isoformat(timespec="seconds")


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


# -- the report ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """The figures of one period. ``start``/``end`` are China dates (inclusive; ``None``: unbounded).

    :ivar summary: headline figures (see ``docs/report.md``).
    :ivar tables: table name (:data:`TABLE_COLUMNS`) → rows, each a mapping of the table's columns.
    """

    start: date | None
    end: date | None
    matter: str | None
    generated_at: datetime
    summary: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """No submission was taken in during the period."""
        return not self.summary.get("submissions")

    @property
    def period_text(self) -> str:
        """``2026-11-01 – 2026-11-30 (China time)``, open ends shown as ``…``."""
        first = self.start.isoformat() if self.start else "…"
        last = self.end.isoformat() if self.end else "…"
        return f"{first} – {last} (China time, UTC+8)" + (f", matter {self.matter}" if self.matter else "")

    def empty_message(self) -> str:
        """What to say when the period holds no submission."""
        return (f"No case was taken in during {self.period_text}: nothing to report. Widen the period "
                "(--from/--to) or check the matter and the database.")

    def to_dict(self) -> dict[str, Any]:
        """The whole report as one JSON-ready object (``govauto report --json``)."""
        return {"generated_at": _china_iso(self.generated_at),
                "period": {"from": self.start.isoformat() if self.start else None,
                           "to": self.end.isoformat() if self.end else None,
                           "timezone": "Asia/Shanghai", "matter": self.matter},
                "empty": self.empty, "summary": self.summary,
                "tables": {name: self.tables.get(name, []) for name in TABLE_COLUMNS}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def write_csv(self, directory: Path) -> list[Path]:
        """One UTF-8 CSV file per table (``outcomes.csv`` ...), a header row even when the table is empty."""
        directory.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name, columns in TABLE_COLUMNS.items():
            path = directory / f"{name}.csv"
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
                writer.writeheader()
                for row in self.tables.get(name, []):
                    writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
            written.append(path)
        return written

    # -- text ---------------------------------------------------------------------------------------------------

    def to_text(self) -> str:
        """A plain-text summary, one section per table."""
        head = [f"govauto report: {self.period_text}", f"generated {_china_iso(self.generated_at)}", ""]
        if self.empty:
            return "\n".join([*head, self.empty_message()]) + "\n"
        s = self.summary
        lines = [*head,
                 f"submissions: {s['submissions']} ({s['cases']} case(s), {s['decided']} with a final outcome, "
                 f"{s['pending']} pending)",
                 "machine outcomes: " + _counts(s["machine_outcomes"]),
                 "final outcomes:   " + _counts(s["final_outcomes"]),
                 f"straight-through: {_ratio(s['straight_through'])}  (no person at all, robot review tasks "
                 f"included; machine decisions alone: {_ratio(s['machine_decided'])})",
                 f"referred: {s['referred']}; human decisions: {s['decisions']['count']}, overriding the machine: "
                 f"{_ratio(s['decisions'], 'overrides')}",
                 f"SLA: {s['sla']['breaches']} breach(es) of {s['sla']['tasks_with_due']} task(s) with a due time "
                 f"({s['sla']['decided_late']} decided late, {s['sla']['open_overdue']} still open past due)",
                 f"robot jobs: {s['robot']['jobs']} ({s['robot']['finished']} finished), failed or needing a "
                 f"person: {_ratio(s['robot'], 'failed', 'finished')}",
                 ""]
        for name, title in _TITLES.items():
            rows = self.tables.get(name, [])
            lines.append(f"{title}:")
            if not rows:
                lines += ["  (none)", ""]
                continue
            columns = TABLE_COLUMNS[name]
            cells = [[_cell(name, c, row.get(c)) for c in columns] for row in rows]
            lines += _align(list(columns), cells)
            lines.append("")
        return "\n".join(lines)

    # -- HTML ---------------------------------------------------------------------------------------------------

    def to_html(self) -> str:
        """A self-contained HTML page: summary, plotly charts (plotly.js embedded: works offline) and tables."""
        title = "govauto report"
        parts = [f"<h1>{_e(title)}</h1>",
                 f"<p class='meta'>Period: <b>{_e(self.period_text)}</b> · generated "
                 f"{_e(_china_iso(self.generated_at))}</p>"]
        if self.empty:
            parts.append(f"<p class='empty'>{_e(self.empty_message())}</p>")
        else:
            parts.append(self._html_summary())
            first = True
            for name, section in _TITLES.items():
                parts.append(f"<h2>{_e(section)}</h2>")
                rows = self.tables.get(name, [])
                figure = _figure(name, rows)
                if figure is not None:
                    parts.append(figure.to_html(full_html=False, include_plotlyjs=first, default_height="360px",
                                                config={"displaylogo": False, "responsive": True}))
                    first = False
                parts.append(_html_table(name, rows))
        return ("<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'>"
                f"<title>{_e(title)} {_e(self.period_text)}</title><style>{_CSS}</style></head><body>"
                + "\n".join(parts) + "</body></html>\n")

    def _html_summary(self) -> str:
        s = self.summary
        items = [("Submissions", f"{s['submissions']} ({s['cases']} cases)"),
                 ("Machine outcomes", _counts(s["machine_outcomes"])),
                 ("Final outcomes", _counts(s["final_outcomes"])),
                 ("Straight-through (no person at all)", _ratio(s["straight_through"])),
                 ("Decided by the machine alone", _ratio(s["machine_decided"])),
                 ("Human decisions overriding the machine", _ratio(s["decisions"], "overrides")),
                 ("SLA breaches", f"{s['sla']['breaches']} of {s['sla']['tasks_with_due']} tasks with a due time"),
                 ("Robot jobs failed or needing a person", _ratio(s["robot"], "failed", "finished"))]
        rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in items)
        return f"<table class='summary'>{rows}</table>"


_TITLES: Final[Mapping[str, str]] = {
    "outcomes": "Submissions per matter and outcome",
    "stage_times": "Time per stage",
    "referrals_by_reason": "Referrals by reason",
    "referrals_by_rule": "Referrals by rule",
    "correction_by_rule": "补正 rate by rule (PDCA candidates first)",
    "sla_breaches": "SLA breaches",
    "human_decisions": "Human decisions against the machine's outcome",
    "overrides_by_rule": "Human overrides by rule",
    "robot_jobs": "Robot jobs by final status and error kind",
    "robot_failures_by_kind": "Robot failures by error kind",
}

_CSS = ("body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;max-width:1100px;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;"
        "text-align:left}th{background:#f3f3f3}.meta{color:#555}.empty{font-size:1.2em;padding:1em;"
        "background:#fff6d5}td.num{text-align:right}")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def _ratio(figures: Mapping[str, Any], part: str = "count", whole: str | None = None) -> str:
    total_key = whole or ("total" if "total" in figures else "count")
    n, total = figures[part], figures[total_key]
    return f"{n}/{total}" + (f" = {n / total:.1%}" if total else "")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _cell(table: str, column: str, value: Any) -> str:
    if value is None:
        return "—"
    if column in ("median_seconds", "p90_seconds", "late_seconds"):
        return _duration(float(value))
    if column == "rate":
        return f"{float(value):.1%}"
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _align(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  " + "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *rows]]


def _html_table(name: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    columns = TABLE_COLUMNS[name]
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(
        f"<td{' class=num' if isinstance(row.get(c), int | float) else ''}>{_e(_cell(name, c, row.get(c)))}</td>"
        for c in columns) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(name: str, rows: list[dict[str, Any]]) -> Any:
    """The plotly figure of a table, or ``None`` (no rows, or a table shown as a table only)."""
    import plotly.graph_objects as go  # type: ignore[import-untyped]  # plotly ships no type information

    if not rows:
        return None
    layout: dict[str, Any] = {"margin": {"l": 60, "r": 20, "t": 20, "b": 60}}
    if name == "outcomes":
        machine: Counter[str] = Counter()
        final: Counter[str] = Counter()
        for row in rows:
            machine[row["machine_outcome"]] += row["count"]
            final[row["final_outcome"]] += row["count"]
        keys = sorted(set(machine) | set(final))
        fig = go.Figure([go.Bar(name="machine outcome", x=keys, y=[machine[k] for k in keys]),
                         go.Bar(name="final outcome", x=keys, y=[final[k] for k in keys])])
        layout.update(barmode="group", yaxis={"title": {"text": "submissions"}})
    elif name == "stage_times":
        timed = [r for r in rows if r["count"]]
        if not timed:
            return None
        scale, unit = _time_unit(max(float(r["p90_seconds"] or 0) for r in timed))
        labels = [STAGES[r["stage"]] for r in timed]
        fig = go.Figure([go.Bar(name="median", x=labels, y=[float(r["median_seconds"]) / scale for r in timed]),
                         go.Bar(name="p90", x=labels, y=[float(r["p90_seconds"]) / scale for r in timed])])
        layout.update(barmode="group", yaxis={"title": {"text": unit}})
    elif name in ("referrals_by_reason", "referrals_by_rule"):
        key = "reason" if name == "referrals_by_reason" else "rule"
        fig = go.Figure([go.Bar(x=[r["count"] for r in rows], y=[r[key] for r in rows], orientation="h")])
        layout.update(yaxis={"autorange": "reversed", "automargin": True}, xaxis={"title": {"text": "referrals"}})
    elif name == "correction_by_rule":
        fig = go.Figure([go.Bar(x=[r["rate"] * 100 for r in rows], y=[r["rule"] for r in rows], orientation="h",
                                text=[f"{r['count']}/{r['submissions']}" for r in rows])])
        layout.update(yaxis={"autorange": "reversed", "automargin": True},
                      xaxis={"title": {"text": "% of submissions sent back (补正)"}})
    elif name == "overrides_by_rule":
        labels = [r["rule"] for r in rows]
        fig = go.Figure([go.Bar(name="decision overrides the machine", y=labels, x=[r["overrides"] for r in rows],
                                orientation="h"),
                         go.Bar(name="finding dropped by the reviewer", y=labels, x=[r["dropped"] for r in rows],
                                orientation="h")])
        layout.update(barmode="group", yaxis={"autorange": "reversed", "automargin": True})
    elif name == "robot_jobs":
        labels = [f"{r['status']}" + (f" ({r['error_kind']})" if r["error_kind"] else "") for r in rows]
        fig = go.Figure([go.Bar(x=labels, y=[r["count"] for r in rows])])
        layout.update(yaxis={"title": {"text": "jobs"}})
    else:
        return None
    fig.update_layout(**layout)
    return fig


def _time_unit(longest: float) -> tuple[float, str]:
    if longest >= 172800:
        return 86400.0, "days"
    if longest >= 7200:
        return 3600.0, "hours"
    if longest >= 120:
        return 60.0, "minutes"
    return 1.0, "seconds"


# -- computing ----------------------------------------------------------------------------------------------------

@dataclass
class _Submission:
    case_id: str
    version: int
    matter: str
    created_at: datetime
    machine_outcome: str
    final: dict[str, Any] | None
    status: str
    findings: list[dict[str, Any]]
    records: list[AuditRecord] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final_outcome(self) -> str:
        if self.final and self.final.get("outcome"):
            return str(self.final["outcome"])
        return "pending" if self.status == "referred" else self.status

    @property
    def final_at(self) -> datetime | None:
        return _aware((self.final or {}).get("decided_at"))

    def first(self, action: str, where: Any = None) -> AuditRecord | None:
        return next((r for r in self.records if r.action == action and (where is None or where(r))), None)

    @property
    def decisions(self) -> list[AuditRecord]:
        return [r for r in self.records if r.action == "decision"]


def _period_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    lo = datetime.combine(start, time(0), CHINA).astimezone(UTC) if start else None
    hi = datetime.combine(end + timedelta(days=1), time(0), CHINA).astimezone(UTC) if end else None
    return lo, hi


def _chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(values), _CHUNK):
        yield list(values[i:i + _CHUNK])


def build_report(store: Store, *, start: date | None = None, end: date | None = None, matter: str | None = None,
                 now: datetime | None = None) -> Report:
    """The report of the submissions taken in from ``start`` to ``end`` (China dates, both inclusive).

    :param matter: only this matter's submissions.
    :param now: the time open tasks are judged overdue at, and the report's generation time (default now).
    :raises ValueError: ``start`` is after ``end``.
    :raises StoreError: the database cannot be used.
    """
    if start and end and start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end}): swap --from and --to")
    now = now or datetime.now(UTC)
    lo, hi = _period_bounds(start, end)
    cv = case_versions.c
    query = select(case_versions).order_by(cv.created_at, cv.case_id, cv.version)
    if lo is not None:
        query = query.where(cv.created_at >= lo)
    if hi is not None:
        query = query.where(cv.created_at < hi)
    if matter is not None:
        query = query.where(cv.matter == matter)
    subs: dict[tuple[str, int], _Submission] = {}
    task_rows: list[dict[str, Any]] = []
    job_rows: list[dict[str, Any]] = []
    robot_records: dict[str, list[AuditRecord]] = defaultdict(list)
    with store.begin() as conn:
        for row in conn.execute(query):
            m = row._mapping
            subs[(m["case_id"], m["version"])] = _Submission(
                case_id=m["case_id"], version=m["version"], matter=m["matter"], created_at=m["created_at"],
                machine_outcome=m["machine_outcome"], final=m["final_decision"], status=m["status"],
                findings=list((m["machine_decision"] or {}).get("findings", [])))
        case_ids = sorted({case_id for case_id, _ in subs})
        for ids in _chunks(case_ids):
            for row in conn.execute(select(audit_records).where(audit_records.c.case_id.in_(ids))
                                    .order_by(audit_records.c.seq)):
                record = AuditRecord.from_row(row)
                if record.case_version is None:
                    robot_records[str(record.case_id)].append(record)
                elif (sub := subs.get((str(record.case_id), record.case_version))) is not None:
                    sub.records.append(record)
            rt, d = review_tasks, review_task_details
            for row in conn.execute(select(rt, d.c.case_version, d.c.state, d.c.group_name, d.c.due_at,
                                           d.c.decided_at, d.c.confirmed_at, d.c.decision)
                                    .select_from(rt.outerjoin(d, d.c.task_id == rt.c.id))
                                    .where(rt.c.case_id.in_(ids))):
                task_rows.append(dict(row._mapping))
            for row in conn.execute(select(jobs.c.id, jobs.c.case_id, jobs.c.status, jobs.c.error_kind)
                                    .where(jobs.c.case_id.in_(ids))):
                job_rows.append(dict(row._mapping))
    _attach_tasks(subs, task_rows)
    return _compute(list(subs.values()), robot_records, job_rows, start=start, end=end, matter=matter, now=now)


def _attach_tasks(subs: Mapping[tuple[str, int], _Submission], rows: Iterable[dict[str, Any]]) -> None:
    by_case: dict[str, list[_Submission]] = defaultdict(list)
    for each in subs.values():
        by_case[each.case_id].append(each)
    for row in rows:
        raw = row.get("detail")
        detail: dict[str, Any] = raw if isinstance(raw, dict) else {}
        version = row.get("case_version") or detail.get("case_version")
        sub: _Submission | None = subs.get((row["case_id"], version)) if version else None
        if sub is None and not version:  # a robot's task: the case's latest version in the period before it
            created = _aware(row["created_at"])
            earlier = [s for s in by_case.get(row["case_id"], []) if created is None or s.created_at <= created]
            sub = max(earlier, key=lambda s: s.version, default=None)
        if sub is not None:
            sub.tasks.append(row)


def _task_status(row: Mapping[str, Any]) -> str:
    state = row.get("state") or ("closed" if row["status"] == "closed" else "open")
    return "closed" if row["status"] == "closed" and state != "decided" else str(state)


def _is_final_decision(record: AuditRecord) -> bool:
    if record.action == "decision_confirmed":
        return True
    return (record.action == "decision" and record.detail.get("outcome") != "refer"
            and not record.detail.get("awaiting_confirmation"))


def _compute(subs: list[_Submission], robot_records: Mapping[str, list[AuditRecord]], job_rows: list[dict[str, Any]],
             *, start: date | None, end: date | None, matter: str | None, now: datetime) -> Report:
    tables: dict[str, list[dict[str, Any]]] = {}
    total = len(subs)

    # outcomes
    outcome_counts = Counter((s.matter, s.machine_outcome, s.final_outcome) for s in subs)
    tables["outcomes"] = [{"matter": k[0], "machine_outcome": k[1], "final_outcome": k[2], "count": n}
                          for k, n in sorted(outcome_counts.items())]
    machine_outcomes = dict(sorted(Counter(s.machine_outcome for s in subs).items()))
    final_outcomes = dict(sorted(Counter(s.final_outcome for s in subs).items()))
    decided = sum(1 for s in subs if s.final is not None)

    # straight-through
    def untouched(s: _Submission, robot_tasks: bool) -> bool:
        tasks = s.tasks if robot_tasks else [t for t in s.tasks if t["source"] != "robot"]
        return (s.final is not None and s.final_outcome == s.machine_outcome and not tasks and not s.decisions)

    straight = sum(1 for s in subs if untouched(s, robot_tasks=True))
    machine_alone = sum(1 for s in subs if untouched(s, robot_tasks=False))

    # stage times
    durations: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for s in subs:
        intake, review = s.first("intake"), s.first("review")
        if intake and review:
            durations["intake_to_review"].append((review.at - intake.at).total_seconds())
        referral, human = s.first("referral"), next((r for r in s.records if _is_final_decision(r)), None)
        if referral and human and human.at >= referral.at:
            durations["referral_to_decision"].append((human.at - referral.at).total_seconds())
        final_at = s.final_at
        if final_at and s.final_outcome == "approve":
            receipt = next((r for r in robot_records.get(s.case_id, [])
                            if r.action == "robot_receipt" and r.at >= final_at), None)
            if receipt:
                durations["approve_to_receipt"].append((receipt.at - final_at).total_seconds())
        if final_at and intake and final_at >= intake.at:
            durations["intake_to_final"].append((final_at - intake.at).total_seconds())

    def _round(value: float | None) -> float | None:
        return None if value is None else round(value, 3)

    tables["stage_times"] = [{"stage": stage, "count": len(values), "median_seconds": _round(percentile(values, .5)),
                              "p90_seconds": _round(percentile(values, .9))} for stage, values in durations.items()]

    # referrals
    reasons: Counter[str] = Counter()
    referring: Counter[str] = Counter()
    referred = 0
    for s in subs:
        record = s.first("referral")
        if record is None and s.machine_outcome != "refer":
            continue
        referred += 1
        if record is not None:
            reasons.update({str(r) for r in record.detail.get("reasons", [])})
        referring.update({str(f["rule"]) for f in s.findings if f.get("outcome") == "refer" and f.get("rule")})
    tables["referrals_by_reason"] = [{"reason": k, "count": n} for k, n in _by_count(reasons)]
    tables["referrals_by_rule"] = [{"rule": k, "count": n} for k, n in _by_count(referring)]

    # 补正 by rule: the rules on the correction notices issued
    sent_back: Counter[str] = Counter()
    for s in subs:
        rules = {str(item["rule"]) for r in s.records if r.action == "notice"
                 and r.detail.get("kind") == "correction_notice"
                 for item in r.detail.get("items", []) if isinstance(item, Mapping) and item.get("rule")}
        sent_back.update(rules)
    tables["correction_by_rule"] = [{"rule": k, "count": n, "submissions": total, "rate": _rate(n, total)}
                                    for k, n in _by_count(sent_back)]

    # SLA
    breaches: list[dict[str, Any]] = []
    with_due = 0
    for s in subs:
        for task in s.tasks:
            due = _aware(task.get("due_at"))
            if due is None:
                continue
            with_due += 1
            status = _task_status(task)
            finished = _aware(task.get("confirmed_at")) or _aware(task.get("decided_at"))
            kind: str | None = None
            late: float = 0.0
            if status == "decided" and finished is not None and finished > due:
                kind, late = "decided_late", (finished - due).total_seconds()
            elif status in _ACTIVE and now > due:
                kind, late = "open_overdue", (now - due).total_seconds()
            if kind:
                breaches.append({"task_id": task["id"], "case_id": s.case_id, "case_version": s.version,
                                 "group": task.get("group_name"), "status": status, "kind": kind,
                                 "due_at": _china_iso(due),
                                 "decided_at": _china_iso(finished) if finished and status == "decided" else None,
                                 "late_seconds": round(late, 3)})
    breaches.sort(key=lambda b: -b["late_seconds"])
    tables["sla_breaches"] = breaches

    # human decisions and overrides
    pairs: Counter[tuple[str, str]] = Counter()
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    decision_count = overrides = 0
    for s in subs:
        finding_rules = list(dict.fromkeys(str(f["rule"]) for f in s.findings if f.get("rule")))
        for record in s.decisions:
            outcome = str(record.detail.get("outcome"))
            if outcome == "refer":  # handed to a supervisor: not a decision on the case yet
                continue
            machine = str(record.detail.get("machine_outcome") or s.machine_outcome)
            decision_count += 1
            pairs[(machine, outcome)] += 1
            changed = outcome != machine
            overrides += changed
            kept = set(record.detail.get("kept_findings", []))
            for rule in finding_rules:
                per_rule[rule]["decisions"] += 1
                per_rule[rule]["overrides"] += changed
                per_rule[rule]["dropped"] += rule not in kept
    tables["human_decisions"] = [{"machine_outcome": m, "human_outcome": h, "count": n}
                                 for (m, h), n in sorted(pairs.items())]
    tables["overrides_by_rule"] = sorted(
        ({"rule": rule, "decisions": c["decisions"], "overrides": c["overrides"], "dropped": c["dropped"]}
         for rule, c in per_rule.items()), key=lambda r: (-r["overrides"], -r["dropped"], r["rule"]))

    # robot jobs
    job_count = len(job_rows)
    by_status = Counter((str(j["status"]), j["error_kind"]) for j in job_rows)
    tables["robot_jobs"] = [{"status": st, "error_kind": kind, "count": n, "rate": _rate(n, job_count)}
                            for (st, kind), n in sorted(by_status.items(), key=lambda i: (i[0][0], i[0][1] or ""))]
    finished_jobs = sum(1 for j in job_rows if j["status"] in _FINAL_JOB)
    failing = [j for j in job_rows if j["status"] in _FAILED_JOB]
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for j in failing:
        kinds[str(j["error_kind"] or "unknown")][str(j["status"])] += 1
    tables["robot_failures_by_kind"] = sorted(
        ({"error_kind": k, "failed": c["failed"], "needs_review": c["needs_review"], "count": c.total(),
          "rate": _rate(c.total(), finished_jobs)} for k, c in kinds.items()),
        key=lambda r: (-r["count"], r["error_kind"]))

    summary: dict[str, Any] = {
        "submissions": total,
        "cases": len({s.case_id for s in subs}),
        "matters": sorted({s.matter for s in subs}),
        "decided": decided,
        "pending": total - decided,
        "machine_outcomes": machine_outcomes,
        "final_outcomes": final_outcomes,
        "straight_through": {"count": straight, "total": total, "rate": _rate(straight, total)},
        "machine_decided": {"count": machine_alone, "total": total, "rate": _rate(machine_alone, total)},
        "referred": referred,
        "decisions": {"count": decision_count, "overrides": overrides, "rate": _rate(overrides, decision_count)},
        "sla": {"tasks_with_due": with_due, "breaches": len(breaches),
                "decided_late": sum(b["kind"] == "decided_late" for b in breaches),
                "open_overdue": sum(b["kind"] == "open_overdue" for b in breaches)},
        "robot": {"jobs": job_count, "finished": finished_jobs, "failed": len(failing),
                  "rate": _rate(len(failing), finished_jobs)},
    }
    return Report(start=start, end=end, matter=matter, generated_at=now, summary=summary, tables=tables)


def _by_count(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))
