"""Benchmark: the Celery runner against the local runner, on PostgreSQL, with the same work in the same run.

Prints:

a. **processing** (extraction with OCR, then review, intake and audit): ``--cases`` cases through 1, 2 and 4
   workers of each runner; cases per minute, the Celery/local ratio and the ratio to one worker. The cases are
   copies (new case ids) of a few generated applications whose ID cards are images (OCR every time: no cache
   between cases) and whose application form and lease are PDFs;
b. **robot jobs**: ``--robot-jobs`` approved cases entered into the legacy-portal simulator through 1, 2 and 4
   workers of each runner, the portal's session limit 2 enforced across all workers: jobs per minute, the ratio,
   and the portal's peak of concurrent sessions (must equal the limit once there are 2 workers or more, and never
   exceed it), applications entered twice (must be 0) and jobs not final (must be 0).

Wall time runs from starting the workers (their start-up and Chromium included, for both runners) to the last
job's end. Each run has a fresh PostgreSQL database and, for Celery, its own redis-server. Exits 1 when the session
limit was exceeded, an application was entered twice or a job was lost.

Needs PostgreSQL and Redis (``make services``; ``make bench`` starts them). Everything else goes to a temporary
directory.

    make bench                                   # includes this with the issue's sizes (long)
    python bench/bench_cluster.py --quick        # 40 cases, 24 robot jobs, 1 and 2 workers
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.cluster: the redis-server, database and worker-process helpers

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

LIMIT = 2
PG_ENV = "GOVAUTO_TEST_POSTGRES_URL"
DEFAULT_PG = "postgresql+psycopg://govauto:govauto@127.0.0.1:5432/govauto_test"


def _postgres_url() -> str:
    url = os.environ.get(PG_ENV) or DEFAULT_PG
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        psycopg.connect(admin, connect_timeout=3).close()
    except psycopg.Error as error:
        sys.exit(f"bench_cluster: PostgreSQL at {make_url(url).render_as_string(hide_password=True)} cannot be "
                 f"used ({error}); start it with `make services` (or set {PG_ENV})")
    os.environ[PG_ENV] = url
    return url


@contextmanager
def _fresh(workdir: Path) -> Iterator[str]:
    from tests.cluster import fresh_database

    with fresh_database(workdir) as url:
        yield url


def _materials(workdir: Path) -> list[tuple[dict[str, Any], Path]]:
    """A few applications with generated materials (clean PDFs, ID cards as images), one per outcome."""
    import yaml

    made = []
    for i, example in enumerate(("approve", "correct", "refer", "reject")):
        out = workdir / "materials" / example
        subprocess.run([sys.executable, "-m", "govauto.cli", "sandbox", "documents",
                        str(ROOT / "examples" / "cases" / f"{example}.yaml"), str(out), "--seed", str(i),
                        "--write-case"], check=True, stdout=subprocess.DEVNULL)
        made.append((yaml.safe_load((out / "case.yaml").read_text(encoding="utf-8")), out))
    return made


def _env(workdir: Path, db_url: str, broker: str | None, portal_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVAUTO_")}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "GOVAUTO_HOME": str(workdir / "home"),
        "GOVAUTO_DATABASE_URL": db_url,
        "GOVAUTO_ROBOT_TRACE": "0",
        "OMP_THREAD_LIMIT": "1",
        "GOVAUTO_CREDENTIALS_LEGACY_PORTAL_USERNAME": "robot",
        "GOVAUTO_CREDENTIALS_LEGACY_PORTAL_PASSWORD": "robot-pass",
    })
    if broker:
        env["GOVAUTO_BROKER_URL"] = broker
    if portal_url:
        env["GOVAUTO_PORTAL_URL"] = portal_url
    return env


def _run(runner: str, workers: int, workdir: Path, db_url: str, job_ids: list[str], limits: dict[str, int],
         portal_url: str | None = None) -> float:
    """Start ``workers`` workers of ``runner``, wait until every job is final, stop them; the wall time."""
    from tests.cluster import WorkerProcess, redis_server

    from govauto.jobs import JobQueue
    from govauto.store import open_store

    queue = JobQueue(open_store(db_url))
    options = ["--concurrency", str(workers), "--lease-seconds", "60", "--poll-interval", "0.2",
               "--executor", "govauto.jobs.routing:ExecutorRouter"]
    for target, n in limits.items():
        options += ["--limit", f"{target}={n}"]
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with redis_server(workdir / f"redis-{runner}-{workers}") as broker:
        env = _env(workdir, db_url, broker.url if runner == "celery" else None, portal_url)
        argv = [sys.executable, "-m", "govauto.cli", "worker", *options]
        argv += ["--runner", "celery"] if runner == "celery" else ["--drain"]
        start = time.perf_counter()
        worker = WorkerProcess(f"{runner}-{workers}", argv, env, logs)
        try:
            queue.wait_all(job_ids, timeout=3600, poll=0.25)
            wall = time.perf_counter() - start
        except BaseException:
            print(worker.log_tail(), file=sys.stderr)
            raise
        finally:
            worker.stop(timeout=60)
    queue.store.dispose()
    return wall


def bench_processing(args: argparse.Namespace, workdir: Path, counts: list[int]) -> list[dict[str, Any]]:
    from govauto.jobs import JobQueue
    from govauto.pipeline_executor import PROCESS_TARGET, submit_processing
    from govauto.runtime import Runtime
    from govauto.store import open_store

    runtime = Runtime()
    sources = _materials(workdir)
    results = []
    for workers in counts:
        for runner in ("local", "celery"):
            run_dir = workdir / f"a-{runner}-{workers}"
            with _fresh(run_dir) as db_url:
                queue = JobQueue(open_store(db_url))
                ids = []
                for i in range(args.cases):
                    case, base = sources[i % len(sources)]
                    job, _ = submit_processing(queue, runtime, {**case, "case_id": f"BENCH-{i:05d}"}, base_dir=base)
                    ids.append(job.id)
                wall = _run(runner, workers, run_dir, db_url, ids,
                            {PROCESS_TARGET: workers, "legacy_portal": 0})
                jobs = [queue.get(i) for i in ids]
                queue.store.dispose()
            results.append({"runner": runner, "workers": workers, "wall": wall,
                            "statuses": Counter(j.status.value for j in jobs)})
    print(f"a. processing (OCR of two ID-card images, two PDFs, review, intake, audit): {args.cases} cases per run")
    _table(results, args.cases, "cases/min")
    return results


def bench_robot_jobs(args: argparse.Namespace, workdir: Path, counts: list[int]) -> tuple[list[dict[str, Any]], bool]:
    from govauto.jobs import JobQueue
    from govauto.robots.enqueue import submit_case
    from govauto.runtime import Runtime
    from govauto.store import open_store
    from govauto.testing.generate import generate_approved_cases
    from govauto.testing.legacy_portal import LegacyPortal

    runtime = Runtime()
    ok = True
    results = []
    for n, workers in enumerate(counts):
        for runner in ("local", "celery"):
            run_dir = workdir / f"b-{runner}-{workers}"
            with _fresh(run_dir) as db_url, LegacyPortal(run_dir / "portal.db", seed=11, idle_timeout=30) as portal:
                queue = JobQueue(open_store(db_url))
                ids = [submit_case(queue, runtime, case)[0].id
                       for case in generate_approved_cases(args.robot_jobs, seed=200 + n)]
                wall = _run(runner, workers, run_dir, db_url, ids, {"legacy_portal": LIMIT}, portal.url)
                jobs = [queue.get(i) for i in ids]
                queue.store.dispose()
                stats, records = portal.stats(), portal.records()
            per_case = Counter(r["wbywh"] for r in records)
            result = {"runner": runner, "workers": workers, "wall": wall,
                      "statuses": Counter(j.status.value for j in jobs),
                      "peak": stats["max_active_sessions"], "duplicates": sum(k - 1 for k in per_case.values()),
                      "lost": sum(not j.is_final for j in jobs)}
            expected_peak = min(workers, LIMIT)
            if result["peak"] > LIMIT or result["duplicates"] or result["lost"]:
                ok = False
            result["peak_ok"] = result["peak"] == expected_peak
            results.append(result)
    print(f"b. robot jobs: {args.robot_jobs} per run, the portal's session limit {LIMIT} across all workers")
    _table(results, args.robot_jobs, "jobs/min", robots=True)
    return results, ok


def _table(results: list[dict[str, Any]], per_run: int, unit: str, robots: bool = False) -> None:
    header = f"   {'runner':>7} {'workers':>7} {'wall s':>8} {unit:>10} {'vs local':>9} {'vs 1':>6}  statuses"
    if robots:
        header += "  peak sessions, entered twice, lost"
    print(header)
    rate = {(r["runner"], r["workers"]): per_run / r["wall"] * 60 for r in results}
    for r in results:
        mine = rate[(r["runner"], r["workers"])]
        local = rate[("local", r["workers"])]
        one = rate.get((r["runner"], 1), mine)
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
        line = (f"   {r['runner']:>7} {r['workers']:>7} {r['wall']:>8.1f} {mine:>10.1f} {mine / local:>8.2f}x "
                f"{mine / one:>5.2f}x  {statuses}")
        if robots:
            flag = "" if r["peak_ok"] else f" (expected {min(r['workers'], LIMIT)})"
            line += f"  {r['peak']}{flag}, {r['duplicates']}, {r['lost']}"
        print(line)
    load = os.getloadavg()
    print(f"   ({os.cpu_count()} CPU cores; load average now {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=500, help="processing cases per run (default 500)")
    parser.add_argument("--robot-jobs", type=int, default=200, help="robot jobs per run (default 200)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated (default 1,2,4)")
    parser.add_argument("--only", choices=("a", "b"), help="run one part")
    parser.add_argument("--quick", action="store_true", help="40 cases, 24 robot jobs, 1 and 2 workers")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.robot_jobs, args.workers = 40, 24, "1,2"
    counts = [int(w) for w in args.workers.split(",")]
    _postgres_url()
    ok = True
    with tempfile.TemporaryDirectory(prefix="govauto-bench-cluster-") as tmp:
        workdir = Path(tmp)
        if args.only in (None, "a"):
            bench_processing(args, workdir, counts)
        if args.only in (None, "b"):
            _, ok = bench_robot_jobs(args, workdir, counts)
    if not ok:
        print("FAILED: the session limit was exceeded, an application was entered twice or a job was lost")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
