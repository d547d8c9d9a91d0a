"""Benchmark: review of generated 个体工商户设立 cases with each rule engine.

Prints, per engine: µs per case (validation + fact preparation + evaluation + findings), the same without
contract validation, cases per second on one core, peak RSS, and RSS growth between the first and last
tenth of the batch (memory must stay flat), then the ratio between the engines measured in the same run.

    make bench                      # 10,000 cases
    python bench/bench_review.py --cases 2000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

GOAL_US = 200.0


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_engine(engine: str, count: int) -> dict[str, float]:
    """Measure one engine in this process."""
    import govauto
    from govauto.testing.generate import generate_cases
    from govauto.testing.packs import example_runtime

    runtime, _registry = example_runtime()
    cases = list(generate_cases(count, seed=7))
    validated = [runtime.load_case(c) for c in cases]
    runtime.review(cases[0], engine=engine)  # compile and load the pack outside the timing
    start = time.perf_counter()
    for case in cases:
        runtime.review(case, engine=engine)
    full = (time.perf_counter() - start) / count * 1e6
    tenth = max(1, count // 10)
    rss_first = rss_last = 0.0
    start = time.perf_counter()
    for index, case in enumerate(validated):
        runtime.review(case, engine=engine)
        if index == tenth:
            rss_first = _rss_mb()
    rss_last = _rss_mb()
    no_validation = (time.perf_counter() - start) / count * 1e6
    assert isinstance(validated[0], govauto.Case)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"us_per_case": full, "us_per_case_validated": no_validation, "cases_per_s": 1e6 / full,
            "peak_rss_mb": peak, "rss_growth_mb": rss_last - rss_first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:  # child process: one engine, fresh memory
        print(json.dumps(run_engine(args.engine, args.cases)))
        return
    results = {}
    for engine in ("python", "durable"):
        out = subprocess.run([sys.executable, __file__, "--engine", engine, "--cases", str(args.cases)],
                             check=True, capture_output=True, text=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"review of {args.cases:,} generated cases, one process per engine, one core")
    print(f"{'engine':<8} {'µs/case':>9} {'µs/case*':>9} {'cases/s':>9} {'peak RSS':>9} {'RSS growth':>11}")
    for engine, r in results.items():
        print(f"{engine:<8} {r['us_per_case']:>9.1f} {r['us_per_case_validated']:>9.1f} {r['cases_per_s']:>9.0f} "
              f"{r['peak_rss_mb']:>7.1f}MB {r['rss_growth_mb']:>9.1f}MB")
    print("* without contract validation (a validated Case passed in)")
    ratio = results["durable"]["us_per_case"] / results["python"]["us_per_case"]
    print(f"ratio durable/python: {ratio:.2f}x")
    best = min(results, key=lambda e: results[e]["us_per_case"])
    verdict = "meets" if results[best]["us_per_case"] <= GOAL_US else "misses"
    print(f"fastest: {best}, {results[best]['us_per_case']:.1f} µs/case: {verdict} the goal of ≤ {GOAL_US:.0f} µs")


if __name__ == "__main__":
    main()
