"""The review queue: due times in working days, holding and assigning, permissions, four-eyes, escalation, and
robot jobs' review tasks in the same queue (temporary SQLite files, a fake clock, cheap argon2 parameters)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

import govauto
from govauto.casework import (
    ESCALATION_PRIORITY_STEP,
    Accounts,
    CaseRecord,
    CaseStore,
    HumanDecision,
    ReviewQueue,
    WorkCalendar,
)
from govauto.errors import (
    CalendarError,
    CaseStateError,
    CaseworkError,
    ReviewPermissionError,
    TaskNotFoundError,
    TaskStateError,
)
from govauto.jobs import ExecutionResult, JobQueue
from govauto.model import CHINA
from govauto.outcome import Decision, Finding
from govauto.store import Store, list_review_tasks, open_store

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
GROUP, OTHER = "440305", "440306"

REFER = Finding("applicant.public_servant", "refer", "经营者声明为公务员，需人工核实。", "《公务员法》第五十九条")
NAME = Finding("name.suffix", "correct", "名称应含“（个体工商户）”。", "实施办法 第五十三条")
MINOR = Finding("applicant.age.under_16", "reject", "经营者未满十六周岁。", "《民法典》第十七条")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(store_url: str) -> Store:
    return open_store(store_url)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))


@pytest.fixture
def queue(store: Store, clock: Clock) -> ReviewQueue:
    return ReviewQueue(store, WorkCalendar.default(), clock=clock)


@pytest.fixture
def accounts(store: Store) -> Accounts:
    accounts = Accounts(store, hasher=CHEAP)
    for name, role, groups in (("zhang", "reviewer", [GROUP]), ("li", "reviewer", [GROUP]),
                               ("wang", "reviewer", [OTHER]), ("chen", "supervisor", [GROUP]),
                               ("zhou", "supervisor", [OTHER]), ("root", "admin", [])):
        accounts.add_user(name, PASSWORD, role=role, groups=groups)  # type: ignore[arg-type]
    return accounts


@pytest.fixture
def intake(store: Store, runtime: govauto.Runtime, valid_case: dict[str, Any], tmp_path: Path) -> Any:
    def intake(case_id: str = "C-1", *, submitted_at: str = "2026-11-20T09:30:00+08:00", outcome: str = "refer",
               findings: tuple[Finding, ...] = (REFER, NAME)) -> CaseRecord:
        data = {**valid_case, "case_id": case_id, "submitted_at": submitted_at}
        case = runtime.load_case(data)
        decision = Decision(case.case_id, case.matter, "sole_proprietor.establish", "1.0.0",
                            outcome, findings)  # type: ignore[arg-type]
        return CaseStore(store).intake(case, decision=decision, base_dir=tmp_path, actor="portal")
    return intake


def open_task(queue: ReviewQueue, record: CaseRecord, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"reasons": ["applicant.public_servant"], "group": GROUP,
                               "findings": [f for f in record.machine_decision["findings"]]}
    options.update(kwargs)
    return queue.open(record.case_id, record.version, **options)


def china(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=CHINA)


# -- due times ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("submitted", "days", "due"), [
    ("2026-11-20T09:30:00+08:00", 3, china(2026, 11, 25)),   # Friday: Mon, Tue, Wed
    ("2026-11-21T09:30:00+08:00", 3, china(2026, 11, 26)),   # Saturday: counts from Monday
    ("2026-11-20T17:30:00Z", 3, china(2026, 11, 26)),        # 01:30 on Saturday in China
    ("2026-09-30T10:00:00+08:00", 3, china(2026, 10, 10)),   # 国庆 10-01..07 off; Saturday 10-10 is a working day
    ("2026-09-24T10:00:00+08:00", 1, china(2026, 9, 28)),    # 中秋 09-25..27 off
    ("2026-09-18T10:00:00+08:00", 3, china(2026, 9, 22)),    # Sunday 09-20 is a make-up working day
    ("2026-02-13T10:00:00+08:00", 3, china(2026, 2, 25)),    # Saturday 02-14 works, 春节 02-15..23 off
    ("2025-09-30T10:00:00+08:00", 2, china(2025, 10, 10)),   # 2025 国庆/中秋 10-01..08 off, Saturday 10-11 works
])
def test_due_time_counts_working_days_over_weekends_and_holidays(queue: ReviewQueue, intake: Any, submitted: str,
                                                                 days: int, due: datetime) -> None:
    record = intake(submitted_at=submitted)
    task = open_task(queue, record, time_limit_days=days)
    assert task.due_at == due
    assert queue.get(task.id).due_at == due
    assert task.status == "open" and task.case_version == 1 and task.source == "review"
    assert task.machine_outcome == "refer" and task.finding_rules == ("applicant.public_servant", "name.suffix")


def test_due_time_beyond_the_calendar_fails_loudly(queue: ReviewQueue, intake: Any) -> None:
    record = intake(submitted_at="2026-12-29T10:00:00+08:00")
    with pytest.raises(CalendarError, match=r"no data for 2027.*holidays_cn\.yaml"):
        open_task(queue, record, time_limit_days=5)
    assert queue.list() == []  # nothing half-opened


def test_no_time_limit_no_due_time_and_only_the_latest_version(queue: ReviewQueue, intake: Any) -> None:
    first = intake()
    task = open_task(queue, first)
    assert task.due_at is None and not task.is_overdue(datetime(2030, 1, 1, tzinfo=UTC))
    intake()  # resubmitted: version 2 supersedes version 1 and closes its task
    assert queue.get(task.id).status == "closed"
    assert [e.event for e in queue.events(task.id)] == ["opened", "superseded"]
    with pytest.raises(CaseStateError, match="superseded by version 2"):
        open_task(queue, first)


# -- holding and assigning ----------------------------------------------------------------------------------------

def test_claim_release_and_assign(queue: ReviewQueue, accounts: Accounts, intake: Any) -> None:
    task = open_task(queue, intake())
    claimed = queue.claim(task.id, "zhang")
    assert (claimed.status, claimed.assignee) == ("claimed", "zhang")
    assert queue.claim(task.id, "Zhang").status == "claimed"  # again, by the holder: no change
    with pytest.raises(TaskStateError, match="zhang holds it"):
        queue.claim(task.id, "li")
    with pytest.raises(ReviewPermissionError, match="only its holder or a supervisor"):
        queue.release(task.id, "li")
    assert queue.release(task.id, "zhang").status == "open"
    with pytest.raises(ReviewPermissionError, match="only supervisors and admins assign"):
        queue.assign(task.id, "li", by="zhang")
    with pytest.raises(ReviewPermissionError, match="belongs to group '440305'"):
        queue.assign(task.id, "wang", by="chen")
    assigned = queue.assign(task.id, "li", by="chen")
    assert (assigned.status, assigned.assignee) == ("assigned", "li")
    assert queue.list(assignee="li") == [assigned]
    assert [(e.event, e.actor) for e in queue.events(task.id)] == [
        ("opened", "system"), ("claimed", "zhang"), ("released", "zhang"), ("assigned", "chen")]
    with pytest.raises(TaskNotFoundError):
        queue.claim("R-nope", "zhang")


def test_assign_least_loaded_picks_the_member_with_fewest_held_tasks(queue: ReviewQueue, accounts: Accounts,
                                                                     intake: Any) -> None:
    tasks = [open_task(queue, intake(f"C-{i}")) for i in range(5)]
    queue.claim(tasks[0].id, "zhang")
    queue.claim(tasks[1].id, "zhang")
    queue.claim(tasks[2].id, "li")
    assert queue.workload(GROUP) == {"chen": 0, "li": 1, "zhang": 2}
    chosen = queue.assign_least_loaded(tasks[3].id, GROUP, by="chen")
    assert chosen.assignee == "li" and chosen.status == "assigned"  # the supervisor (0 tasks) is not a reviewer
    tie = queue.assign_least_loaded(tasks[4].id, GROUP, by="system")  # li 2, zhang 2: by name
    assert tie.assignee == "li"
    moved = queue.assign_least_loaded(tasks[4].id, OTHER, by="root")
    assert (moved.group, moved.assignee) == (OTHER, "wang")
    assert queue.events(tasks[4].id)[-1].detail["previous_group"] == GROUP
    with pytest.raises(CaseworkError, match="no active member"):
        queue.assign_least_loaded(tasks[4].id, "nobody-here", by="chen")
    with pytest.raises(ReviewPermissionError, match="reviewer: only supervisors"):
        queue.assign_least_loaded(tasks[4].id, GROUP, by="wang")


def test_users_of_another_group_are_refused(queue: ReviewQueue, accounts: Accounts, intake: Any) -> None:
    task = open_task(queue, intake())
    with pytest.raises(ReviewPermissionError, match=r"wang may not claim task .* group '440305'"):
        queue.claim(task.id, "wang")
    with pytest.raises(ReviewPermissionError, match="may not decide"):
        queue.decide(task.id, "wang", HumanDecision("approve"))
    with pytest.raises(ReviewPermissionError, match="no active account"):
        queue.claim(task.id, "ghost")
    accounts.set_active("li", False)
    with pytest.raises(ReviewPermissionError, match="no active account"):
        queue.claim(task.id, "li")
    assert queue.list(visible_to="wang") == [] and queue.list(visible_to="li") == []
    assert [t.id for t in queue.list(visible_to="zhang")] == [task.id]
    assert [t.id for t in queue.list(visible_to="zhou")] == [task.id]  # a supervisor of another group
    assert queue.may_act("zhou", task) and not queue.may_act("wang", task)
    assert queue.claim(task.id, "zhou").assignee == "zhou"


def test_a_reviewer_cannot_decide_a_task_someone_else_holds(queue: ReviewQueue, accounts: Accounts,
                                                            intake: Any) -> None:
    task = open_task(queue, intake())
    queue.claim(task.id, "zhang")
    with pytest.raises(ReviewPermissionError, match="zhang holds it"):
        queue.decide(task.id, "li", HumanDecision("approve"))
    decided = queue.decide(task.id, "chen", HumanDecision("approve", note="supervisor took over"))
    assert decided.status == "decided" and decided.decided_by == "chen"


# -- deciding -----------------------------------------------------------------------------------------------------

def test_a_plain_decision_is_final_and_closes_the_task(queue: ReviewQueue, store: Store, accounts: Accounts,
                                                       intake: Any) -> None:
    task = open_task(queue, intake())
    decision = HumanDecision("correct", kept_findings=["name.suffix"], extra_items=["请补充租赁合同第2页"],
                             note="checked the registry")
    done = queue.decide(task.id, "zhang", decision)
    assert done.status == "decided" and done.decided_by == "zhang" and done.decided_at is not None
    assert queue.decision_of(done) == decision
    assert done.decision is not None and done.decision["sensitive_because"] == []
    assert [t.status for t in list_review_tasks(store, case_id="C-1")] == ["closed"]
    with pytest.raises(TaskStateError, match="is decided"):
        queue.decide(task.id, "zhang", decision)
    with pytest.raises(TaskStateError, match="is decided"):
        queue.claim(task.id, "li")
    last = queue.events(task.id)[-1]
    assert last.event == "decided" and last.actor == "zhang"
    assert last.detail["kept_findings"] == ["name.suffix"] and last.detail["awaiting_confirmation"] is False


def test_decisions_are_checked_against_the_findings(queue: ReviewQueue, accounts: Accounts, intake: Any) -> None:
    task = open_task(queue, intake())
    with pytest.raises(CaseworkError, match=r"operator\.residence are not among its findings"):
        queue.decide(task.id, "zhang", HumanDecision("correct", kept_findings=["operator.residence"]))
    with pytest.raises(CaseworkError, match="must list what to correct"):
        queue.decide(task.id, "zhang", HumanDecision("correct"))
    with pytest.raises(CaseworkError, match="must state its reasons"):
        queue.decide(task.id, "zhang", HumanDecision("reject"))
    with pytest.raises(CaseworkError, match="unknown decision outcome"):
        HumanDecision("maybe")  # type: ignore[arg-type]
    assert queue.get(task.id).status == "open"


def test_refer_goes_to_the_least_loaded_supervisor_of_the_group(queue: ReviewQueue, accounts: Accounts,
                                                                intake: Any) -> None:
    task = open_task(queue, intake(), priority=1)
    referred = queue.decide(task.id, "zhang", HumanDecision("refer", reasons=["需要科长判断"]))
    assert (referred.status, referred.assignee, referred.priority) == ("assigned", "chen", 1 + ESCALATION_PRIORITY_STEP)
    assert referred.decision is None
    assert queue.events(task.id)[-1].event == "referred"
    again = queue.decide(task.id, "chen", HumanDecision("refer"))  # the only supervisor refers it: open for any
    assert (again.status, again.assignee) == ("open", None)


# -- four-eyes ----------------------------------------------------------------------------------------------------

def test_overriding_a_machine_reject_needs_a_second_person(queue: ReviewQueue, store: Store, accounts: Accounts,
                                                           intake: Any) -> None:
    record = intake(outcome="reject", findings=(MINOR,))
    task = open_task(queue, record, reasons=["appeal"])
    waiting = queue.decide(task.id, "zhang", HumanDecision("approve", reasons=["ID card misread: born 2000"]))
    assert waiting.status == "awaiting_confirmation" and waiting.decided_by == "zhang"
    assert waiting.decision is not None
    assert waiting.decision["sensitive_because"] == ["it overrides the machine's reject with approve"]
    assert [t.status for t in list_review_tasks(store, case_id=record.case_id)] == ["open"]  # still needs someone
    with pytest.raises(ReviewPermissionError, match="four-eyes: zhang decided"):
        queue.confirm(task.id, "zhang")
    with pytest.raises(ReviewPermissionError, match="wang may not confirm"):
        queue.confirm(task.id, "wang")
    with pytest.raises(TaskStateError, match="awaiting_confirmation"):
        queue.decide(task.id, "li", HumanDecision("reject", kept_findings=["applicant.age.under_16"]))
    confirmed = queue.confirm(task.id, "li")
    assert (confirmed.status, confirmed.decided_by, confirmed.confirmed_by) == ("decided", "zhang", "li")
    assert queue.decision_of(confirmed).outcome == "approve"
    assert [t.status for t in list_review_tasks(store, case_id=record.case_id)] == ["closed"]
    with pytest.raises(TaskStateError, match="only a decision awaiting confirmation can be confirmed"):
        queue.confirm(task.id, "chen")
    with pytest.raises(TaskStateError, match="can be refused"):
        queue.refuse_confirmation(task.id, "chen", "too late")


def test_upholding_a_machine_reject_needs_no_second_person(queue: ReviewQueue, accounts: Accounts,
                                                           intake: Any) -> None:
    task = open_task(queue, intake(outcome="reject", findings=(MINOR,)))
    done = queue.decide(task.id, "zhang", HumanDecision("reject", kept_findings=["applicant.age.under_16"]))
    assert done.status == "decided"


def test_refused_confirmation_sends_the_task_back_to_its_decider(queue: ReviewQueue, accounts: Accounts,
                                                                 intake: Any) -> None:
    task = open_task(queue, intake(), sensitive=True)
    queue.claim(task.id, "zhang")
    waiting = queue.decide(task.id, "zhang", HumanDecision("approve"))
    assert waiting.status == "awaiting_confirmation"
    assert waiting.decision is not None and waiting.decision["sensitive_because"] == ["the task is marked sensitive"]
    with pytest.raises(CaseworkError, match="needs a note"):
        queue.refuse_confirmation(task.id, "li", "  ")
    with pytest.raises(ReviewPermissionError, match="four-eyes"):
        queue.refuse_confirmation(task.id, "zhang", "I changed my mind")
    back = queue.refuse_confirmation(task.id, "li", "the public-servant declaration was not checked")
    assert (back.status, back.assignee, back.decision, back.decided_by) == ("assigned", "zhang", None, None)
    refused = queue.events(task.id)[-1]
    assert refused.event == "confirmation_refused" and refused.actor == "li"
    assert refused.detail["note"] == "the public-servant declaration was not checked"
    assert refused.detail["decision"]["outcome"] == "approve"
    with pytest.raises(TaskStateError, match="no decision is recorded"):
        queue.decision_of(back.id)
    second = queue.decide(task.id, "zhang", HumanDecision("correct", kept_findings=["name.suffix"]))
    assert second.status == "awaiting_confirmation"
    assert queue.confirm(task.id, "chen").confirmed_by == "chen"
    assert [e.event for e in queue.events(task.id)] == [
        "opened", "claimed", "decided", "confirmation_refused", "decided", "confirmed"]


def test_confirmation_policy_and_sensitive_outcomes(store: Store, clock: Clock, accounts: Accounts,
                                                    intake: Any) -> None:
    queue = ReviewQueue(store, WorkCalendar.default(), clock=clock, confirmation="supervisor",
                        sensitive_outcomes={"sole_proprietor.establish": {"reject"}})
    task = open_task(queue, intake())
    waiting = queue.decide(task.id, "zhang", HumanDecision("reject", reasons=["虚假材料"]))
    assert waiting.status == "awaiting_confirmation"
    assert waiting.decision is not None
    assert waiting.decision["sensitive_because"] == ["reject is a sensitive outcome for sole_proprietor.establish"]
    with pytest.raises(ReviewPermissionError, match="confirmed by a supervisor"):
        queue.confirm(task.id, "li")
    assert queue.confirm(task.id, "zhou").status == "decided"  # a supervisor of another group may
    plain = open_task(queue, intake("C-2"))
    assert queue.decide(plain.id, "zhang", HumanDecision("approve")).status == "decided"
    with pytest.raises(CaseworkError, match="sensitive_outcomes"):
        ReviewQueue(store, WorkCalendar.default(), sensitive_outcomes={"*": {"approved"}})


# -- escalation ---------------------------------------------------------------------------------------------------

def test_overdue_tasks_are_escalated_to_the_group_supervisor(queue: ReviewQueue, clock: Clock, accounts: Accounts,
                                                             intake: Any) -> None:
    late = open_task(queue, intake("C-1"), time_limit_days=3)           # due 2026-11-25 23:59:59 China
    queue.claim(late.id, "zhang")
    later = open_task(queue, intake("C-2"), time_limit_days=5)          # due 2026-11-27
    orphan = open_task(queue, intake("C-3"), time_limit_days=3, group="nobody")  # no supervisor
    undated = open_task(queue, intake("C-4"))
    clock.now = china(2026, 11, 25)  # the last second of the day: not yet late
    assert queue.escalate_overdue() == [] and queue.list(overdue=True) == []
    clock.now = china(2026, 11, 25) + timedelta(seconds=1)
    assert {t.id for t in queue.list(overdue=True)} == {late.id, orphan.id}
    assert {t.id for t in queue.list(overdue=False)} == {later.id, undated.id}
    escalated = {t.id: t for t in queue.escalate_overdue()}
    assert set(escalated) == {late.id, orphan.id}
    first = escalated[late.id]
    assert first.escalated and first.priority == ESCALATION_PRIORITY_STEP
    assert (first.status, first.assignee) == ("assigned", "chen")
    assert escalated[orphan.id].escalated and escalated[orphan.id].assignee is None
    assert "no active supervisor" in queue.events(orphan.id)[-1].detail["note"]
    event = queue.events(late.id)[-1]
    assert (event.event, event.actor, event.detail["previous_assignee"]) == ("escalated", "system", "zhang")
    assert queue.escalate_overdue() == []  # once only
    assert [t.id for t in queue.list()] == [late.id, orphan.id, later.id, undated.id]  # escalated first, then due
    assert not queue.get(later.id).escalated
    assert [t.id for t in queue.escalate_overdue(now=china(2026, 11, 28))] == [later.id]


# -- robot tasks --------------------------------------------------------------------------------------------------

def test_robot_review_tasks_appear_in_the_same_queue(store: Store, queue: ReviewQueue, clock: Clock,
                                                     accounts: Accounts, intake: Any) -> None:
    record = intake("C-9", outcome="approve", findings=())
    jobs = JobQueue(store, clock=clock)
    job, _ = jobs.submit("establish", "portal", "C-9", {"case": {"case_id": "C-9"}})
    leased = jobs.lease("w")
    assert leased is not None and leased.id == job.id
    jobs.finish(job.id, "w", ExecutionResult("needs_review", error_kind="business", message="经营场所地址不规范"))
    robot = queue.list()
    assert len(robot) == 1
    task = robot[0]
    assert (task.source, task.reason, task.reasons, task.message) == (
        "robot", "robot.business", ("robot.business",), "经营场所地址不规范")
    assert (task.case_id, task.case_version, task.job_id, task.status) == ("C-9", None, job.id, "open")
    assert task.group == record.authority_division == GROUP  # the case's authority, the pipeline's groups
    assert task.machine_outcome == "approve" and task.detail["robot"] == "establish"
    assert [e.event for e in queue.events(task.id)] == ["opened"]
    assert queue.list(visible_to="zhang") == [task] and queue.list(visible_to="wang") == []
    assert queue.claim(task.id, "zhang").status == "claimed"
    jobs.retry(job.id)  # ops retried the job: the robot's task is closed, whoever held it
    assert queue.get(task.id).status == "closed"


def test_a_robot_task_of_an_unknown_case_goes_to_the_default_group(store: Store, clock: Clock,
                                                                   accounts: Accounts) -> None:
    jobs = JobQueue(store, clock=clock)
    job, _ = jobs.submit("establish", "portal", "C-unknown", {})
    jobs.lease("w")
    jobs.finish(job.id, "w", ExecutionResult("needs_review", error_kind="data", message="地址含生僻字"))
    queue = ReviewQueue(store, WorkCalendar.default(), clock=clock, default_group="robots")
    (task,) = queue.list(status="open")
    assert task.group == "robots" and task.machine_outcome is None
    routed = queue.route(task.id, GROUP, by="chen")
    assert (routed.group, routed.status) == (GROUP, "open")
    assert queue.list(status=["open", "claimed"], groups=[GROUP]) == [routed]
    with pytest.raises(CaseworkError, match="unknown task status"):
        queue.list(status="pending")
