"""Helpers for the Celery tests: a redis-server of the test's own (killable, restartable), a fresh database
(PostgreSQL when ``GOVAUTO_TEST_POSTGRES_URL`` is set, else SQLite), and Celery worker processes."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
POSTGRES_ENV = "GOVAUTO_TEST_POSTGRES_URL"

needs_redis = pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason="needs redis-server (make services)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: object, timeout: float, what: str, poll: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)


class RedisServer:
    """A redis-server on a free loopback port, no persistence: a restart loses every message, as a crash of an
    unpersisted broker would."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--protected-mode", "yes"], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(self.ping, 10, f"redis-server on port {self.port}")
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def restart(self, down_for: float = 1.0) -> None:
        """Crash (SIGKILL: every queued and unacknowledged message is lost) and start again on the same port."""
        self.kill()
        time.sleep(down_for)
        self.start()
        self.restarts += 1


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory).start()
    try:
        yield server
    finally:
        server.kill()


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A database nothing else uses: a new PostgreSQL database (dropped afterwards) when GOVAUTO_TEST_POSTGRES_URL
    is set, else a SQLite file in ``tmp_path``."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        yield f"sqlite:///{tmp_path / 'govauto.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"govauto_t_{secrets.token_hex(4)}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class WorkerProcess:
    """A Celery worker started as its own process group (so that SIGKILL takes its pool and browsers too)."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(argv, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def owns(self, pid: int) -> bool:
        """Whether process ``pid`` belongs to this worker (its main process or one of its pool processes)."""
        try:
            return os.getpgid(pid) == self.pid
        except ProcessLookupError:
            return False

    def kill(self) -> None:
        """SIGKILL the worker, its pool and its browsers at once: a machine lost."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (warm shutdown), then SIGKILL when it does not exit in time."""
        if self.process.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""
        return f"--- {self.name} ---\n" + "\n".join(text.splitlines()[-lines:])


def govauto_worker_argv(*options: str) -> list[str]:
    """``govauto worker --runner celery ...`` in this interpreter."""
    return [sys.executable, "-m", "govauto.cli", "worker", "--runner", "celery", *options]


def celery_worker_argv(*options: str) -> list[str]:
    """``celery -A govauto.jobs.celery_app worker ...`` in this interpreter."""
    return [sys.executable, "-m", "celery", "-A", "govauto.jobs.celery_app", "worker", *options]
