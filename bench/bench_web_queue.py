"""Benchmark: the reviewer web page's queue under 50 reviewers' worth of concurrent requests.

The script makes a temporary govauto home, takes ``--cases`` referred cases through the real pipeline (so the
queue page lists that many claimable tasks, each with its case), creates ``--reviewers`` accounts in their group,
starts ``govauto serve``'s app under uvicorn **in another process** on a free port, logs every reviewer in (each
its own session and cookie), and then, with plain asyncio + httpx:

- **baseline**: ``GET /login`` (a template, no database), the same number of requests at the same concurrency;
- **queue**: every reviewer asks for ``/`` (their queue) ``--requests`` times back to back, all reviewers at once.

For each it prints requests per second, median and p95 latency, and errors (a status other than 200, or a
failed request; must be 0: the script exits with 1 otherwise).

    python bench/bench_web_queue.py                        # 50 reviewers x 20 requests, 40 cases
    python bench/bench_web_queue.py --reviewers 10 --requests 5 --cases 10   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench passphrase 1234"
GROUP = "440305"


@dataclass
class Result:
    name: str
    latencies: list[float]
    errors: int
    wall: float

    def line(self) -> str:
        ordered = sorted(self.latencies)
        p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))] if ordered else float("nan")
        median = statistics.median(ordered) if ordered else float("nan")
        count = len(self.latencies) + self.errors
        return (f"{self.name:<10} {count:>6} requests  {count / self.wall:>8.1f} req/s  "
                f"p50 {median * 1000:>7.1f} ms  p95 {p95 * 1000:>7.1f} ms  errors {self.errors}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(home: Path, cases: int, reviewers: int) -> str:
    """Referred cases through the pipeline, and the reviewers' accounts; returns the database URL."""
    from argon2 import PasswordHasher

    import govauto
    from govauto.casework import Accounts
    from govauto.pipeline import process_case
    from govauto.store import open_store

    url = f"sqlite:///{home / 'govauto.db'}"
    store = open_store(url)
    runtime = govauto.Runtime(load_entrypoints=False)
    template: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "cases" / "refer.yaml").read_text("utf-8"))
    case_dir = home / "cases"
    case_dir.mkdir(parents=True)
    for number in range(cases):
        data = dict(template, case_id=f"NS-2026-{100000 + number}")
        path = case_dir / f"{data['case_id']}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
        processed = process_case(runtime, store, path, enqueue=False)
        assert processed.task_ids, f"{path} was not referred"
    # the accounts' hashes are made cheaply here; the server re-hashes each at its first login, as in production
    accounts = Accounts(store, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    for number in range(reviewers):
        accounts.add_user(f"reviewer{number:02d}", PASSWORD, role="reviewer", groups=[GROUP])
    store.dispose()
    return url


def start_server(home: Path, url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, GOVAUTO_HOME=str(home), GOVAUTO_DATABASE_URL=url, GOVAUTO_ESCALATE_SECONDS="0",
               GOVAUTO_SECRET_KEY="bench-" + "k" * 40)
    command = [sys.executable, "-m", "uvicorn", "--factory", "govauto.web.app:create_app", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not start within 30 s")


async def log_in(client: httpx.AsyncClient, name: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    response = await client.post("/login", data={"username": name, "password": PASSWORD,
                                                 "csrf_token": token.group(1), "next": "/"})
    if response.status_code != 303:
        raise SystemExit(f"login of {name} failed: {response.status_code}")


async def hammer(name: str, clients: list[httpx.AsyncClient], path: str, requests: int,
                 expect: str | None) -> Result:
    latencies: list[float] = []
    errors = 0

    async def one_reviewer(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for _ in range(requests):
            start = time.perf_counter()
            try:
                response = await client.get(path)
            except httpx.HTTPError:
                errors += 1
                continue
            elapsed = time.perf_counter() - start
            if response.status_code != 200 or (expect is not None and expect not in response.text):
                errors += 1
            else:
                latencies.append(elapsed)

    start = time.perf_counter()
    await asyncio.gather(*(one_reviewer(c) for c in clients))
    return Result(name, latencies, errors, time.perf_counter() - start)


async def run(port: int, reviewers: int, requests: int, cases: int) -> list[Result]:
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for _ in range(reviewers)]
    anonymous = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for _ in range(reviewers)]
    try:
        for number, client in enumerate(clients):
            await log_in(client, f"reviewer{number:02d}")
        first = await clients[0].get("/")
        listed = first.text.count("/claim\"")
        if listed != cases:
            raise SystemExit(f"the queue lists {listed} claimable tasks, expected {cases}")
        await hammer("warm-up", clients, "/", 2, None)
        baseline = await hammer("baseline", anonymous, "/login", requests, "csrf_token")
        queue = await hammer("queue", clients, "/", requests, "NS-2026-1")
        return [baseline, queue]
    finally:
        for client in clients + anonymous:
            await client.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviewers", type=int, default=50, help="concurrent reviewers (sessions)")
    parser.add_argument("--requests", type=int, default=20, help="requests per reviewer")
    parser.add_argument("--cases", type=int, default=40, help="referred cases in the queue")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govauto-bench-web-") as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        url = seed(home, args.cases, args.reviewers)
        print(f"seeded {args.cases} referred cases and {args.reviewers} reviewers in "
              f"{time.perf_counter() - started:.1f} s")
        port = free_port()
        server = start_server(home, url, port)
        try:
            results = asyncio.run(run(port, args.reviewers, args.requests, args.cases))
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"uvicorn, 1 worker process; {args.reviewers} concurrent reviewers x {args.requests} requests; "
          f"queue page lists {args.cases} tasks")
    for result in results:
        print(result.line())
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
