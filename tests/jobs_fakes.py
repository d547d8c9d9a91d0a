"""Fake job executors for the job tests; importable by worker processes as ``tests.jobs_fakes:...``.

:class:`FakeExecutor` does what each job's payload says and appends one JSON line per run to
``$GOVAUTO_FAKES_DIR/runs-<pid>.jsonl`` (start and end times, attempt, ``submit_uncertain``), so a test can check
from outside what ran, where and when.

Payload keys: ``sleep`` (seconds), ``raise`` (an exception message), ``block_first`` (first attempt: mark
submitting, write ``block-<job id>.pid`` and hang until killed), ``outcome`` (a result status other than
succeeded, with ``error_kind``), ``retry_until`` (return ``retry`` before this attempt number).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from govauto.jobs import ExecutionResult, JobContext

FAKES_DIR_ENV = "GOVAUTO_FAKES_DIR"


def fakes_dir() -> Path:
    path = Path(os.environ[FAKES_DIR_ENV])
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_runs(directory: Path) -> list[dict[str, Any]]:
    """Every run recorded by any process, ordered by start time."""
    runs = [json.loads(line) for file in sorted(directory.glob("runs-*.jsonl"))
            for line in file.read_text("utf-8").splitlines() if line.strip()]
    return sorted(runs, key=lambda r: r["start"])


def max_overlap(runs: list[dict[str, Any]]) -> int:
    """The largest number of runs in progress at one instant."""
    points = sorted([(r["start"], 1) for r in runs] + [(r["end"], -1) for r in runs], key=lambda p: (p[0], p[1]))
    current = peak = 0
    for _, delta in points:
        current += delta
        peak = max(peak, current)
    return peak


class FakeExecutor:
    """Does what the job's payload says; records every run."""

    def __init__(self) -> None:
        self.directory = fakes_dir()
        self.closed = False

    def execute(self, ctx: JobContext) -> ExecutionResult:
        payload = ctx.job.payload
        start = time.time()
        record = {"job": ctx.job.id, "target": ctx.job.target, "attempt": ctx.attempt, "pid": os.getpid(),
                  "submit_uncertain": ctx.submit_uncertain, "start": start}
        try:
            if payload.get("block_first") and ctx.attempt == 1:
                ctx.mark_submitting()
                (self.directory / f"block-{ctx.job.id}.pid").write_text(str(os.getpid()))
                time.sleep(3600)
            time.sleep(float(payload.get("sleep", 0)))
            if "raise" in payload:
                raise RuntimeError(payload["raise"])
            if ctx.attempt < int(payload.get("retry_until", 0)):
                return ExecutionResult("retry", error_kind="network", message="target unreachable", retry_after=0)
            if payload.get("outcome"):
                log = ctx.artifacts_dir / "robot.log"
                log.write_text(f"attempt {ctx.attempt}\n", "utf-8")
                return ExecutionResult(payload["outcome"], error_kind=payload.get("error_kind"),
                                       message=payload.get("message"), artifacts=(("log", log),))
            if ctx.submit_uncertain:
                return ExecutionResult("succeeded", receipt=f"FOUND-{ctx.job.id}", reconciled=True)
            return ExecutionResult("succeeded", receipt=f"RCPT-{ctx.job.id}")
        finally:
            record["end"] = time.time()
            with (self.directory / f"runs-{os.getpid()}.jsonl").open("a", encoding="utf-8") as file:
                file.write(json.dumps(record) + "\n")

    def close(self) -> None:
        self.closed = True


class BrokenFactory:
    """An executor factory whose construction fails (e.g. no browser installed)."""

    def __init__(self) -> None:
        raise RuntimeError("no browser here")

    def execute(self, ctx: JobContext) -> ExecutionResult:  # pragma: no cover - never built
        raise AssertionError

    def close(self) -> None:  # pragma: no cover - never built
        pass


def failing_notify(job: Any) -> None:
    """A notify hook that always fails (the worker must log it and carry on)."""
    raise RuntimeError(f"notify failed for {job.id}")


def recording_notify(job: Any) -> None:
    """A notify hook that writes ``notified-<job id>`` into the fakes directory."""
    (fakes_dir() / f"notified-{job.id}").write_text(job.status.value, "utf-8")
