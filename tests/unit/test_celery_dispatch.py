"""Leasing one given job, the dispatcher, the handling of "run job J" messages, the Celery configuration and the
executor router (no broker: publishing is recorded; temporary SQLite files)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from govauto.errors import BrokerError, ExecutorLoadError, JobError, JobNotFoundError, LeaseLostError
from govauto.jobs import ExecutionResult, Job, JobContext, JobQueue, JobStatus
from govauto.jobs.dispatch import DISPATCHED, Dispatcher, JobMessageHandler
from govauto.jobs.queue import LeaseOutcome
from govauto.jobs.routing import ExecutorRouter, route
from govauto.store import open_store
from tests.cluster import POSTGRES_ENV, fresh_database


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Published:
    """A publish callable that records every message (and fails on demand)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str]] = []
        self.fail_after: int | None = None

    def __call__(self, job_id: str, queue: str, task_id: str) -> None:
        if self.fail_after is not None and len(self.messages) >= self.fail_after:
            raise ConnectionError("broker gone")
        self.messages.append((job_id, queue, task_id))

    def jobs(self) -> list[str]:
        return [job_id for job_id, _, _ in self.messages]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test on SQLite, and on a fresh PostgreSQL database when GOVAUTO_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        monkeypatch.delenv(POSTGRES_ENV, raising=False)
    elif not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} is not set (scripts/services.sh test-env)")
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def queue(db_url: str, clock: Clock) -> JobQueue:
    return JobQueue(open_store(db_url), clock=clock, backoff_base=10)


def submit(queue: JobQueue, case: str, target: str = "A", robot: str = "establish", **kwargs: Any) -> Job:
    job, created = queue.submit(robot, target, case, {"case": case}, **kwargs)
    assert created
    return job


def events(queue: JobQueue, job_id: str) -> list[str]:
    return [e.event for e in queue.events(job_id)]


def dispatch_reasons(queue: JobQueue, job_id: str) -> list[str]:
    return [e.detail["reason"] for e in queue.events(job_id) if e.event == DISPATCHED]


# -- lease_job ----------------------------------------------------------------------------------------------------

def test_lease_job_takes_that_job_and_not_the_next_one(queue: JobQueue) -> None:
    first, second = submit(queue, "C-1", priority=5), submit(queue, "C-2")
    attempt = queue.lease_job(second.id, "w1", {"A": 2})
    assert attempt.leased and attempt.job.id == second.id
    assert attempt.job.status is JobStatus.RUNNING and attempt.job.lease_owner == "w1" and attempt.job.attempts == 1
    assert queue.get(first.id).status is JobStatus.QUEUED
    assert events(queue, second.id) == ["submitted", "leased"]


def test_lease_job_refuses_when_the_target_is_full_across_workers(queue: JobQueue) -> None:
    one, two, three = (submit(queue, f"C-{i}") for i in range(3))
    other = submit(queue, "C-9", target="B")
    assert queue.lease_job(one.id, "w1", {"A": 2}).leased
    assert queue.lease(worker_id="w2", limits={"A": 2}) is not None  # the local runner's way takes the second slot
    full = queue.lease_job(three.id, "w3", {"A": 2})
    assert full.outcome is LeaseOutcome.TARGET_FULL and full.job.status is JobStatus.QUEUED
    assert events(queue, three.id) == ["submitted"], "a refused lease changes nothing"
    assert queue.lease_job(other.id, "w3", {"A": 2}).leased, "another target has its own limit (default 1)"
    assert queue.get(two.id).status is JobStatus.RUNNING


def test_lease_job_on_a_job_held_by_a_live_lease_says_how_long_to_wait(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    queue.lease_job(job.id, "w1", lease_seconds=60)
    clock.advance(20)
    again = queue.lease_job(job.id, "w2", lease_seconds=60)  # the same message delivered again
    assert again.outcome is LeaseOutcome.HELD and again.retry_in == pytest.approx(40)
    assert again.job.lease_owner == "w1" and again.job.attempts == 1


def test_lease_job_on_a_final_job_is_a_no_op(queue: JobQueue) -> None:
    job = submit(queue, "C-1")
    queue.lease_job(job.id, "w1")
    queue.finish(job.id, "w1", ExecutionResult("succeeded", receipt="R-1"))
    before = queue.events(job.id)
    again = queue.lease_job(job.id, "w2")
    assert again.outcome is LeaseOutcome.FINAL and again.job.status is JobStatus.SUCCEEDED
    assert queue.events(job.id) == before and queue.get(job.id).attempts == 1


def test_lease_job_takes_over_an_expired_lease_and_keeps_submit_uncertain(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    queue.lease_job(job.id, "dead", lease_seconds=30)
    queue.mark_submitting(job.id, "dead")
    clock.advance(31)
    taken = queue.lease_job(job.id, "w2", lease_seconds=30)
    assert taken.leased and taken.job.lease_owner == "w2" and taken.job.attempts == 2
    assert taken.job.submit_uncertain, "the new attempt must search the target first"
    assert events(queue, job.id)[-2:] == ["lease_expired", "leased"]
    with pytest.raises(LeaseLostError):
        queue.finish(job.id, "dead", ExecutionResult("succeeded", receipt="late"))


def test_lease_job_ends_an_expired_job_out_of_attempts(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1", max_attempts=1)
    queue.lease_job(job.id, "dead", lease_seconds=30)
    clock.advance(31)
    ended = queue.lease_job(job.id, "w2")
    assert ended.outcome is LeaseOutcome.ENDED
    assert ended.job.status is JobStatus.FAILED and ended.job.error_kind == "worker_lost"


def test_lease_job_waits_for_not_before_and_pauses_with_limit_zero(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    queue.lease_job(job.id, "w1")
    queue.finish(job.id, "w1", ExecutionResult("retry", error_kind="network", retry_after=15))
    waiting = queue.lease_job(job.id, "w1")
    assert waiting.outcome is LeaseOutcome.NOT_YET and waiting.retry_in == pytest.approx(15)
    clock.advance(16)
    assert queue.lease_job(job.id, "w1", {"A": 0}).outcome is LeaseOutcome.PAUSED
    assert queue.lease_job(job.id, "w1", {"A": 1}).leased


def test_lease_job_of_an_unknown_job_raises(queue: JobQueue) -> None:
    with pytest.raises(JobNotFoundError, match="J-nope"):
        queue.lease_job("J-nope", "w1")


# -- the dispatcher -----------------------------------------------------------------------------------------------

def dispatcher(queue: JobQueue, published: Published, **kwargs: Any) -> Dispatcher:
    kwargs.setdefault("limits", {"A": 2})
    kwargs.setdefault("redispatch_after", 60)
    return Dispatcher(queue, published, queue_for=lambda robot: route(robot, {"pipeline.": "extraction"}, "robots"),
                      **kwargs)


def test_a_pass_sends_as_many_jobs_as_each_target_has_room_for_in_priority_order(queue: JobQueue) -> None:
    low = [submit(queue, f"C-{i}") for i in range(3)]
    high = submit(queue, "C-high", priority=9)
    b_jobs = [submit(queue, f"B-{i}", target="B") for i in range(2)]
    extraction = submit(queue, "X-1", target="extraction", robot="pipeline.process")
    published = Published()
    sent = dispatcher(queue, published, limits={"A": 2, "extraction": 3}).dispatch()
    assert [d.job_id for d in sent if d.target == "A"] == [high.id, low[0].id]
    assert [d.job_id for d in sent if d.target == "B"] == [b_jobs[0].id], "default limit 1"
    assert {(d.job_id, d.queue) for d in sent if d.target == "extraction"} == {(extraction.id, "extraction")}
    assert published.messages == [(d.job_id, d.queue, d.task_id) for d in sent]
    [event] = [e for e in queue.events(high.id) if e.event == DISPATCHED]
    assert event.detail == {"queue": "robots", "task": sent[0].task_id, "reason": "new"}


def test_a_job_in_flight_is_not_sent_twice_and_a_freed_slot_is_filled(queue: JobQueue, clock: Clock) -> None:
    jobs = [submit(queue, f"C-{i}") for i in range(4)]
    published = Published()
    d = dispatcher(queue, published)
    assert [x.job_id for x in d.dispatch()] == [jobs[0].id, jobs[1].id]
    clock.advance(5)
    assert d.dispatch() == [], "both messages are on their way: the target has no room for more"
    queue.lease_job(jobs[0].id, "w1", {"A": 2})
    assert d.dispatch() == [], "a running job holds its slot"
    queue.finish(jobs[0].id, "w1", ExecutionResult("succeeded", receipt="R"))
    assert [x.job_id for x in d.dispatch(targets=["A"])] == [jobs[2].id]
    assert published.jobs() == [jobs[0].id, jobs[1].id, jobs[2].id]


def test_a_job_queued_again_is_sent_again_when_its_back_off_ends(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    published = Published()
    d = dispatcher(queue, published)
    d.dispatch()
    queue.lease_job(job.id, "w1", {"A": 2})
    queue.finish(job.id, "w1", ExecutionResult("retry", error_kind="network", retry_after=30))
    assert d.dispatch() == [], "not before its back-off"
    clock.advance(31)
    [again] = d.dispatch()
    assert again.reason == "requeued" and dispatch_reasons(queue, job.id) == ["new", "requeued"]


def test_a_running_job_whose_lease_expired_is_sent_once(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    published = Published()
    d = dispatcher(queue, published)
    d.dispatch()
    queue.lease_job(job.id, "dead", {"A": 2}, lease_seconds=30)
    clock.advance(10)
    assert d.dispatch() == [], "its lease is live"
    clock.advance(25)
    [sent] = d.dispatch()
    assert sent.reason == "lease_expired"
    clock.advance(5)
    assert d.dispatch() == [], "already sent since the lease expired"
    taken = queue.lease_job(job.id, "w2", {"A": 2}, lease_seconds=30)
    assert taken.leased and taken.job.attempts == 2


def test_a_message_lost_by_the_broker_is_sent_again_after_redispatch_after(queue: JobQueue, clock: Clock) -> None:
    job = submit(queue, "C-1")
    published = Published()
    d = dispatcher(queue, published, redispatch_after=60)
    [first] = d.dispatch()
    clock.advance(59)
    assert d.dispatch() == []
    clock.advance(2)
    [second] = d.dispatch()
    assert second.reason == "redispatch" and second.task_id != first.task_id
    assert d.superseded(job.id, first.task_id) and not d.superseded(job.id, second.task_id)


def test_a_failed_publish_records_nothing_and_the_next_pass_sends_again(queue: JobQueue) -> None:
    jobs = [submit(queue, f"C-{i}") for i in range(2)]
    published = Published()
    published.fail_after = 1
    d = dispatcher(queue, published)
    with pytest.raises(ConnectionError):
        d.dispatch()
    assert all(DISPATCHED not in events(queue, j.id) for j in jobs), "the pass was rolled back"
    published.fail_after = None
    assert {x.job_id for x in d.dispatch()} == {j.id for j in jobs}


def test_a_paused_target_gets_nothing(queue: JobQueue) -> None:
    submit(queue, "C-1")
    assert dispatcher(queue, Published(), limits={"A": 0}).dispatch() == []


def test_two_dispatchers_at_once_never_send_a_job_twice(db_url: str) -> None:
    queue = JobQueue(open_store(db_url))
    ids = [submit(queue, f"C-{i}").id for i in range(40)]
    published = Published()
    lock = threading.Lock()

    def publish(job_id: str, name: str, task_id: str) -> None:
        with lock:
            published(job_id, name, task_id)

    barrier = threading.Barrier(4)

    def run() -> None:
        d = Dispatcher(JobQueue(open_store(db_url)), publish, limits={"A": 100})
        barrier.wait()
        for _ in range(3):
            d.dispatch()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(published.jobs()) == sorted(ids)


# -- handling a "run job J" message ---------------------------------------------------------------------------------

class Recorder:
    def __init__(self) -> None:
        self.runs: list[tuple[str, int, bool]] = []
        self.closed = False

    def execute(self, ctx: JobContext) -> ExecutionResult:
        self.runs.append((ctx.job.id, ctx.attempt, ctx.submit_uncertain))
        if ctx.submit_uncertain:
            return ExecutionResult("succeeded", receipt="FOUND", reconciled=True)
        return ExecutionResult("succeeded", receipt=f"R-{ctx.job.id}")

    def close(self) -> None:
        self.closed = True


def handler(queue: JobQueue, tmp_path: Path, executor: Recorder, published: Published | None = None,
            **kwargs: Any) -> JobMessageHandler:
    d = dispatcher(queue, published or Published())
    return JobMessageHandler(queue, lambda: executor, "w1", limits={"A": 2}, lease_seconds=30,
                             artifacts_root=tmp_path / "artifacts", dispatcher=d, **kwargs)


def test_a_message_runs_its_job_with_the_local_runners_attempt_and_refills_the_target(
        queue: JobQueue, tmp_path: Path) -> None:
    jobs = [submit(queue, f"C-{i}") for i in range(3)]
    published = Published()
    executor = Recorder()
    h = handler(queue, tmp_path, executor, published)
    delivery = h.handle(jobs[0].id, "t-0")
    assert delivery.action == "ran" and delivery.status is JobStatus.SUCCEEDED
    assert queue.get(jobs[0].id).receipt == f"R-{jobs[0].id}"
    assert executor.runs == [(jobs[0].id, 1, False)]
    assert published.jobs() == [jobs[1].id, jobs[2].id], "the freed slot (and the other) sent at once"


def test_a_repeated_message_for_a_finished_job_does_nothing(queue: JobQueue, tmp_path: Path) -> None:
    job = submit(queue, "C-1")
    executor = Recorder()
    h = handler(queue, tmp_path, executor)
    h.handle(job.id, "t-1")
    before = queue.events(job.id)
    delivery = h.handle(job.id, "t-1")
    assert delivery.action == "done" and "already succeeded" in delivery.detail
    assert len(executor.runs) == 1 and queue.events(job.id) == before


def test_a_message_for_a_full_target_is_deferred_with_back_off(queue: JobQueue, tmp_path: Path) -> None:
    one, two, three = (submit(queue, f"C-{i}") for i in range(3))
    queue.lease_job(one.id, "other", {"A": 2})
    queue.lease_job(two.id, "other", {"A": 2})
    h = handler(queue, tmp_path, Recorder(), defer_base=2.0, defer_cap=60.0)
    first = h.handle(three.id, None, deliveries=0)
    assert first.action == "deferred" and "limit" in first.detail and 1.0 <= (first.countdown or 0) <= 2.0
    later = h.handle(three.id, None, deliveries=10)
    assert later.action == "deferred" and 30.0 <= (later.countdown or 0) <= 60.0
    assert queue.get(three.id).status is JobStatus.QUEUED


def test_a_message_redelivered_while_the_dead_workers_lease_runs_waits_for_it(
        queue: JobQueue, clock: Clock, tmp_path: Path) -> None:
    job = submit(queue, "C-1")
    queue.lease_job(job.id, "dead", {"A": 2}, lease_seconds=30)
    queue.mark_submitting(job.id, "dead")
    clock.advance(10)
    executor = Recorder()
    h = handler(queue, tmp_path, executor)
    held = h.handle(job.id, None)
    assert held.action == "deferred" and "dead" in held.detail
    assert 21.0 <= (held.countdown or 0) <= 22.0, "until the lease expires"
    clock.advance(21)
    taken = h.handle(job.id, None)
    assert taken.action == "ran" and executor.runs == [(job.id, 2, True)]
    done = queue.get(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.reconciled


def test_a_superseded_message_that_cannot_run_is_dropped(queue: JobQueue, clock: Clock, tmp_path: Path) -> None:
    one, two, three = (submit(queue, f"C-{i}") for i in range(3))
    published = Published()
    d = dispatcher(queue, published, limits={"A": 3}, redispatch_after=60)
    d.dispatch()
    [old] = [task for job_id, _, task in published.messages if job_id == three.id]
    queue.lease_job(one.id, "w", {"A": 2})
    queue.lease_job(two.id, "w", {"A": 2})
    clock.advance(61)
    [again] = d.dispatch()  # the message for the third job looks lost: a new one is sent
    assert again.job_id == three.id and again.reason == "redispatch"
    h = handler(queue, tmp_path, Recorder())  # this worker's limit for A is 2: full
    assert h.handle(three.id, old).action == "dropped"
    assert h.handle(three.id, again.task_id).action == "deferred"


def test_a_message_for_an_unknown_job_is_reported(queue: JobQueue, tmp_path: Path) -> None:
    assert handler(queue, tmp_path, Recorder()).handle("J-gone", "t").action == "unknown"


# -- configuration ------------------------------------------------------------------------------------------------

def test_the_celery_configuration_comes_from_the_environment() -> None:
    from govauto.jobs.celery_runner import CeleryConfig

    config = CeleryConfig.from_env({
        "GOVAUTO_BROKER_URL": "redis://:pw@redis.example:6379/2", "GOVAUTO_LIMITS": "legacy_portal=2, extraction=4",
        "GOVAUTO_CELERY_ROUTES": "pipeline.=ocr,=rpa,mycity.=city", "GOVAUTO_VISIBILITY_TIMEOUT": "10800",
        "GOVAUTO_DISPATCH": "0", "GOVAUTO_LEASE_SECONDS": "120"})
    assert config.limits == {"legacy_portal": 2, "extraction": 4}
    assert config.default_queue == "rpa" and config.queues() == ["rpa", "ocr", "city"]
    assert config.queue_for("pipeline.process") == "ocr" and config.queue_for("legacy_portal.establish") == "rpa"
    assert config.visibility_timeout == 10800 and not config.dispatch and config.lease_seconds == 120
    assert config.display_broker == "redis://:***@redis.example:6379/2"
    assert config.robot_limits and config.notify == "govauto.robots.executor:notify_job_failed"


@pytest.mark.parametrize(("env", "message"), [
    ({"GOVAUTO_LIMITS": "legacy_portal"}, "GOVAUTO_LIMITS: 'legacy_portal' is not target=N"),
    ({"GOVAUTO_LEASE_SECONDS": "five"}, "GOVAUTO_LEASE_SECONDS='five' is not a number"),
    ({"GOVAUTO_VISIBILITY_TIMEOUT": "60"}, "visibility_timeout (60 s) must be longer than the lease"),
    ({"GOVAUTO_BROKER_URL": "http://user:secret@host/"}, "not a broker Celery can use"),
])
def test_a_bad_setting_is_named(env: dict[str, str], message: str) -> None:
    from govauto.jobs.celery_runner import CeleryConfig

    with pytest.raises(JobError) as info:
        CeleryConfig.from_env(env)
    assert message in str(info.value) and "secret" not in str(info.value)


def test_the_celery_app_is_configured_for_long_jobs() -> None:
    from govauto.jobs.celery_runner import TASK_NAME, CeleryConfig, create_app

    app = create_app(CeleryConfig(broker_url="redis://127.0.0.1:1/0", visibility_timeout=9000))
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 9000
    assert conf.broker_connection_retry_on_startup
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert not conf.worker_cancel_long_running_tasks_on_connection_loss
    assert [q.name for q in conf.task_queues] == ["robots", "extraction"]
    task = app.tasks[TASK_NAME]
    assert task.acks_late and task.reject_on_worker_lost and task.max_retries is None


def test_an_unreachable_broker_is_named_without_its_password() -> None:
    from govauto.jobs.celery_runner import check_broker
    from tests.cluster import free_port

    with pytest.raises(BrokerError) as info:
        check_broker(f"redis://:s3cret@127.0.0.1:{free_port()}/0", timeout=1.0)
    message = str(info.value)
    assert "s3cret" not in message and "redis://:***@127.0.0.1" in message
    assert "cannot be reached" in message and "GOVAUTO_BROKER_URL" in message


# -- the executor router ------------------------------------------------------------------------------------------

class Built:
    made: ClassVar[list[str]] = []

    def __init__(self, runtime: Any = None) -> None:
        self.runtime = runtime
        self.closed = False
        Built.made.append(type(self).__name__)

    def execute(self, ctx: JobContext) -> ExecutionResult:
        return ExecutionResult("succeeded", receipt=type(self).__name__)

    def close(self) -> None:
        self.closed = True


class Pipeline(Built):
    pass


class Robots(Built):
    pass


class NoRuntime:
    def execute(self, ctx: JobContext) -> ExecutionResult:
        return ExecutionResult("succeeded", receipt="plain")

    def close(self) -> None:
        pass


def test_the_router_picks_the_longest_prefix_builds_once_and_shares_the_runtime(
        queue: JobQueue, tmp_path: Path) -> None:
    Built.made = []
    runtime = object()
    router = ExecutorRouter({"pipeline.": Pipeline, "pipeline.special": NoRuntime}, default=Robots,
                            runtime=runtime)  # type: ignore[arg-type]
    jobs = [submit(queue, "C-1", robot="pipeline.process"), submit(queue, "C-2", robot="legacy_portal.establish"),
            submit(queue, "C-3", robot="pipeline.process", key="again"),
            submit(queue, "C-4", robot="pipeline.special")]
    receipts = []
    for job in jobs:
        leased = queue.lease_job(job.id, "w", {"A": 9})
        receipts.append(router.execute(JobContext(queue, leased.job, "w", tmp_path)).receipt)
        queue.finish(job.id, "w", ExecutionResult("succeeded", receipt="x"))
    assert receipts == ["Pipeline", "Robots", "Pipeline", "plain"]
    assert Built.made == ["Pipeline", "Robots"], "built on first use, once"
    built = [router.executor_for(job) for job in jobs[:2]]
    assert all(isinstance(b, Built) and b.runtime is runtime for b in built)
    router.close()
    assert all(isinstance(b, Built) and b.closed for b in built)


def test_the_router_refuses_a_wrong_path_at_once() -> None:
    with pytest.raises(ExecutorLoadError, match=r"executor route 'x\.'.*no_such_module"):
        ExecutorRouter({"x.": "no_such_module:Thing"})


# -- govauto worker --runner celery ---------------------------------------------------------------------------------

def run_cli(*args: str) -> Any:
    """Run ``govauto ARGS``; the worker command sets up logging on the root logger: undo it afterwards."""
    import logging

    from typer.testing import CliRunner

    from govauto.cli import app

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_the_worker_command_names_an_unreachable_broker_without_its_password(tmp_path: Path) -> None:
    from tests.cluster import free_port

    result = run_cli("worker", "--runner", "celery", "--db", f"sqlite:///{tmp_path / 'g.db'}",
                     "--executor", "tests.jobs_fakes:FakeExecutor",
                     "--broker", f"redis://:s3cret@127.0.0.1:{free_port()}/0")
    assert result.exit_code == 1, result.output
    assert "broker redis://:***@127.0.0.1:" in result.output and "cannot be reached" in result.output
    assert "s3cret" not in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("--queues", "robots"), "--queues is for --runner celery"),
    (("--no-dispatch",), "--no-dispatch is for --runner celery"),
    (("--runner", "celery", "--queues", "robots,ocr"),
     "--queues: no job goes to ocr; the queues are robots, extraction"),
    (("--runner", "celery", "--broker", "http://x/"), "not a broker Celery can use"),
    (("--runner", "celery", "--visibility-timeout", "100"), "visibility_timeout (100 s) must be longer than the lease"),
])
def test_the_worker_command_refuses_options_that_do_not_fit(tmp_path: Path, args: tuple[str, ...],
                                                           message: str) -> None:
    result = run_cli("worker", "--db", f"sqlite:///{tmp_path / 'g.db'}", "--executor", "tests.jobs_fakes:FakeExecutor",
                     *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_draining_counts_only_the_jobs_a_worker_could_run(queue: JobQueue) -> None:
    from govauto.jobs.celery_runner import CeleryConfig, _pending

    submit(queue, "C-1", target="legacy_portal", robot="legacy_portal.establish")
    submit(queue, "C-2", target="extraction", robot="pipeline.process")
    submit(queue, "C-3", target="paused", robot="other.robot")
    config = CeleryConfig(broker_url="redis://127.0.0.1:1/0", store_url=queue.store.connect_url)
    limits = {"legacy_portal": 2, "extraction": 4, "paused": 0}
    assert _pending(queue, config, limits, frozenset({"robots", "extraction"})) == 2
    assert _pending(queue, config, limits, frozenset({"robots"})) == 1
    assert _pending(queue, config, limits, frozenset({"extraction"})) == 1
    assert _pending(queue, config, {**limits, "paused": 1}, frozenset({"robots"})) == 2
