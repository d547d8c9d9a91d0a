"""A person's decision on a referred case, continuing the case exactly as a machine decision would.

:func:`decide_task` records a reviewer's decision on a review task. When it needs a second reviewer (four-eyes:
a sensitive task, or overriding the machine's ``reject``) the task waits for :func:`confirm_task`; otherwise, and
once confirmed, the decision is **final** and carried out like the machine's
(:func:`govauto.pipeline.act_on_outcome`): approve queues the robot job, 补正 issues the 一次性告知书 listing
exactly the findings the reviewer kept plus their free-text items, reject issues the notice with reasons.
Every step is audited (who, when, what changed from the machine's outcome), and ``govauto_decision_made`` fires
for the final decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govauto.audit import AuditTrail
from govauto.casework import CaseStore, HumanDecision, ReviewQueue, Task, WorkCalendar
from govauto.outcome import Decision, Finding
from govauto.pipeline import act_on_outcome
from govauto.runtime import Runtime
from govauto.store import Store


@dataclass(frozen=True)
class DecisionOutcome:
    """What a reviewer's action did: the task as stored, whether the decision is final, and what followed."""

    task: Task
    final: bool
    job_id: str | None = None
    notice_files: tuple[Path, ...] = ()


def decide_task(runtime: Runtime, store: Store, task_id: str, user: str, decision: HumanDecision) -> DecisionOutcome:
    """Record ``user``'s decision on a task; carry it out at once unless it needs a second reviewer.

    :raises ReviewPermissionError: the user may not act on the task (another group).
    """
    queue = ReviewQueue(store, WorkCalendar.default())
    task = queue.decide(task_id, user, decision)
    record = CaseStore(store).get(task.case_id, task.case_version)
    machine = record.machine_decision.get("outcome")
    AuditTrail(store).record("decision", actor=f"user:{user}", case_id=task.case_id, case_version=task.case_version,
                             detail={"task": task.id, **_decision_detail(decision), "machine_outcome": machine,
                                     "changed": decision.outcome != machine,
                                     "awaiting_confirmation": task.status == "awaiting_confirmation"})
    if task.status == "awaiting_confirmation":
        return DecisionOutcome(task, final=False)
    return _carry_out(runtime, store, task, decision, user)


def confirm_task(runtime: Runtime, store: Store, task_id: str, user: str) -> DecisionOutcome:
    """A second reviewer confirms a decision awaiting four-eyes; it is then carried out.

    :raises ReviewPermissionError: the same reviewer who decided, or one outside the task's group.
    """
    queue = ReviewQueue(store, WorkCalendar.default())
    task = queue.confirm(task_id, user)
    decision = queue.decision_of(task)
    AuditTrail(store).record("decision_confirmed", actor=f"user:{user}", case_id=task.case_id,
                             case_version=task.case_version,
                             detail={"task": task.id, "decided_by": task.decided_by, **_decision_detail(decision)})
    return _carry_out(runtime, store, task, decision, task.decided_by or user, confirmed_by=user)


def refuse_confirmation(runtime: Runtime, store: Store, task_id: str, user: str, note: str) -> Task:
    """A second reviewer refuses a decision awaiting four-eyes: the task goes back to be decided again."""
    task = ReviewQueue(store, WorkCalendar.default()).refuse_confirmation(task_id, user, note)
    AuditTrail(store).record("decision_refused", actor=f"user:{user}", case_id=task.case_id,
                             case_version=task.case_version, detail={"task": task.id, "note": note})
    return task


def _carry_out(runtime: Runtime, store: Store, task: Task, decision: HumanDecision, decided_by: str,
               confirmed_by: str | None = None) -> DecisionOutcome:
    record = CaseStore(store).get(task.case_id, task.case_version)
    case = runtime.load_case(record.case)
    machine = record.machine_decision
    findings = [f for f in machine.get("findings", []) if f.get("rule") in set(decision.kept_findings)]
    actor = f"user:{decided_by}" + (f"+{confirmed_by}" if confirmed_by else "")
    job_id: str | None = None
    files: tuple[Path, ...] = ()
    if decision.outcome == "refer":  # referred further: the queue reassigned it, nothing to carry out yet
        return DecisionOutcome(task, final=False)
    job_id, files = act_on_outcome(runtime, store, case, record, decision.outcome, findings, actor=actor,
                                   extra_items=decision.extra_items, reasons=decision.reasons)
    final = Decision(case_id=record.case_id, matter=record.matter,
                     pack_id=str(machine.get("pack", {}).get("id", "")),
                     pack_version=str(machine.get("pack", {}).get("version", "")),
                     outcome=decision.outcome,
                     findings=tuple(_finding(f) for f in findings), engine=actor)
    runtime.plugin_manager.hook.govauto_decision_made(case=case, decision=final)
    return DecisionOutcome(task, final=True, job_id=job_id, notice_files=files)


def _decision_detail(decision: HumanDecision) -> dict[str, Any]:
    return {"outcome": decision.outcome, "kept_findings": list(decision.kept_findings),
            "extra_items": list(decision.extra_items), "reasons": list(decision.reasons), "note": decision.note}


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(rule=str(data["rule"]), outcome=data["outcome"], message=str(data.get("message", "")),
                   basis=str(data.get("basis", "")), facts=dict(data.get("facts", {})))
