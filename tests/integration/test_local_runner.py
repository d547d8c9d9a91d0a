"""LocalRunner with real worker processes: limits across processes, a killed worker, SIGTERM, failing executors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govauto.errors import ExecutorLoadError
from govauto.jobs import JobQueue, JobStatus, LocalRunner
from govauto.store import open_store
from tests.jobs_fakes import FAKES_DIR_ENV, max_overlap, read_runs

ROOT = Path(__file__).resolve().parents[2]
FAKE = "tests.jobs_fakes:FakeExecutor"


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the fake executors in the worker processes record their runs (workers inherit the environment)."""
    directory = tmp_path / "fakes"
    monkeypatch.setenv(FAKES_DIR_ENV, str(directory))
    return directory


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'govauto.db'}"


@pytest.fixture
def queue(db_url: str) -> JobQueue:
    return JobQueue(open_store(db_url))


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def test_thirty_jobs_never_exceed_the_target_limit(queue: JobQueue, db_url: str, fakes: Path,
                                                   tmp_path: Path) -> None:
    ids = [queue.submit("establish", "A" if i % 5 else "B", f"C-{i}", {"sleep": 0.15})[0].id for i in range(30)]
    progress: list[dict[str, int]] = []
    LocalRunner(db_url, FAKE, concurrency=3, limits={"A": 2}, default_limit=1, drain=True, poll_interval=0.05,
                artifacts_root=tmp_path / "artifacts", on_progress=progress.append).run()

    jobs = [queue.get(job_id) for job_id in ids]
    assert all(job.status is JobStatus.SUCCEEDED for job in jobs), [(j.id, j.status) for j in jobs]
    assert all(job.receipt == f"RCPT-{job.id}" and job.attempts == 1 for job in jobs)
    runs = read_runs(fakes)
    assert sorted(r["job"] for r in runs) == sorted(ids)  # every job ran exactly once
    a_runs = [r for r in runs if r["target"] == "A"]
    b_runs = [r for r in runs if r["target"] == "B"]
    assert max_overlap(a_runs) == 2  # the limit held, and was used
    assert max_overlap(b_runs) == 1
    assert len({r["pid"] for r in runs}) >= 2  # the work was spread over processes
    assert progress and progress[-1]["succeeded"] == 30 and progress[-1]["queued"] == 0


def test_a_killed_worker_loses_no_job(queue: JobQueue, db_url: str, fakes: Path, tmp_path: Path) -> None:
    blocked, _ = queue.submit("establish", "portal", "C-blocked", {"block_first": True})
    others = [queue.submit("establish", "portal", f"C-{i}", {"sleep": 0.05})[0].id for i in range(4)]
    runner = LocalRunner(db_url, FAKE, concurrency=2, default_limit=2, lease_seconds=2.0, drain=True,
                         poll_interval=0.1, artifacts_root=tmp_path / "artifacts")
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    pid_file = fakes / f"block-{blocked.id}.pid"
    wait_for(pid_file.exists, 20, "the blocking job to start")
    time.sleep(0.1)
    os.kill(int(pid_file.read_text()), signal.SIGKILL)  # the worker dies mid-submission
    thread.join(timeout=30)
    assert not thread.is_alive(), "the runner did not drain"

    job = queue.get(blocked.id)
    assert job.status is JobStatus.SUCCEEDED
    assert job.attempts == 2 and job.reconciled and job.receipt == f"FOUND-{blocked.id}"
    names = [e.event for e in queue.events(blocked.id)]
    assert names[:3] == ["submitted", "leased", "submitting"]
    assert "lease_expired" in names and names[-1] == "succeeded"
    second_run = [r for r in read_runs(fakes) if r["job"] == blocked.id]
    assert len(second_run) == 1 and second_run[0]["attempt"] == 2 and second_run[0]["submit_uncertain"] is True
    assert all(queue.get(i).status is JobStatus.SUCCEEDED for i in others)
    counts = queue.counts()
    assert counts["running"] == 0 and counts["queued"] == 0 and counts["succeeded"] == 5


def test_an_executor_exception_fails_the_job_as_internal(queue: JobQueue, db_url: str, fakes: Path,
                                                         tmp_path: Path) -> None:
    bad, _ = queue.submit("establish", "portal", "C-bad", {"raise": "the form map is broken"})
    good, _ = queue.submit("establish", "portal", "C-good", {})
    LocalRunner(db_url, FAKE, concurrency=2, drain=True, poll_interval=0.05, artifacts_root=tmp_path).run()
    failed = queue.get(bad.id)
    assert failed.status is JobStatus.FAILED and failed.attempts == 1
    assert failed.error_kind == "internal" and failed.error_message == "RuntimeError: the form map is broken"
    assert any(e.event == "exception" and "Traceback" in e.detail["traceback"] for e in queue.events(bad.id))
    assert queue.get(good.id).status is JobStatus.SUCCEEDED


def test_an_executor_that_cannot_be_built_stops_the_runner(db_url: str, fakes: Path, tmp_path: Path) -> None:
    runner = LocalRunner(db_url, "tests.jobs_fakes:BrokenFactory", concurrency=2, poll_interval=0.05,
                         artifacts_root=tmp_path)
    started = time.monotonic()
    with pytest.raises(ExecutorLoadError, match="could not build the executor"):
        runner.run()
    assert time.monotonic() - started < 15


@pytest.fixture
def runner_process(db_url: str, fakes: Path, tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Start ``LocalRunner(...).run()`` as its own process (so it can get signals), killed after the test."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def start_runner(started: list[subprocess.Popen[str]], db_url: str, tmp_path: Path, grace: float) -> \
        subprocess.Popen[str]:
    code = (
        "from govauto.jobs import LocalRunner\n"
        "if __name__ == '__main__':\n"
        f"    LocalRunner({db_url!r}, {FAKE!r}, concurrency=1, poll_interval=0.05, grace_seconds={grace},\n"
        f"                kill_seconds=5, artifacts_root={str(tmp_path / 'artifacts')!r}).run()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    started.append(process)
    return process


def running_job(queue: JobQueue, process: subprocess.Popen[str]) -> str | None:
    if process.poll() is not None:
        raise AssertionError(f"the runner exited early ({process.returncode}):\n{process.communicate()[0]}")
    running = queue.list(status="running")
    return running[0].id if running else None


def test_sigterm_lets_the_running_job_finish(queue: JobQueue, db_url: str, fakes: Path, tmp_path: Path,
                                             runner_process: list[subprocess.Popen[str]]) -> None:
    ids = [queue.submit("establish", "portal", f"C-{i}", {"sleep": 1.5})[0].id for i in range(3)]
    process = start_runner(runner_process, db_url, tmp_path, grace=30)
    wait_for(lambda: running_job(queue, process) is not None, 20, "a job to run")
    in_progress = running_job(queue, process)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "stopping" in output

    finished = queue.get(in_progress or "")
    assert finished.status is JobStatus.SUCCEEDED and finished.attempts == 1  # finished, not handed back
    assert "released" not in [e.event for e in queue.events(finished.id)]
    rest = [queue.get(i) for i in ids if i != in_progress]
    assert all(job.status is JobStatus.QUEUED and job.attempts == 0 for job in rest)  # no new job was taken
    assert queue.counts()["running"] == 0


def test_after_the_grace_time_the_running_job_is_handed_back(queue: JobQueue, db_url: str, fakes: Path,
                                                             tmp_path: Path,
                                                             runner_process: list[subprocess.Popen[str]]) -> None:
    job, _ = queue.submit("establish", "portal", "C-slow", {"sleep": 60})
    process = start_runner(runner_process, db_url, tmp_path, grace=0.5)
    wait_for(lambda: running_job(queue, process) is not None, 20, "the job to run")
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    back = queue.get(job.id)
    assert back.status is JobStatus.QUEUED and back.attempts == 0 and back.lease_owner is None
    assert [e.event for e in queue.events(job.id)][-1] == "released"


def test_worker_command_drains_with_plain_progress_lines(queue: JobQueue, db_url: str, fakes: Path,
                                                         tmp_path: Path) -> None:
    import typer

    from govauto.jobs.cli import worker_command

    app = typer.Typer()
    app.command()(worker_command)
    for i in range(3):
        queue.submit("establish", "portal", f"C-{i}", {})
    result = CliRunner().invoke(app, ["--db", db_url, "--executor", FAKE, "--drain", "--concurrency", "2",
                                      "--limit", "portal=2", "--poll-interval", "0.05",
                                      "--artifacts-dir", str(tmp_path / "artifacts")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("queued=") for line in lines)
    assert lines[-1] == ("no job is queued or running: queued=0 running=0 succeeded=3 failed=0 needs_review=0 "
                         "cancelled=0")
