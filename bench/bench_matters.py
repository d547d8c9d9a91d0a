"""Benchmark: a batch spread over the three 个体工商户 matters and several pack versions, beside one pack alone.

Each case is judged by the version of its matter's pack in force on its submitted date, so the review looks the
version up per case. This prints cases per second on one core and peak RSS for

- **single pack**: generated 设立 cases, all judged by the shipped 1.0.0;
- **mixed**: the same number of cases, spread over 设立 (half of them submitted before 2025-07-15, so judged by an
  older version 0.9.0 installed beside 1.0.0), 变更 and 注销 (their example cases, with fresh ids);

and the ratio between them. The goal: looking versions up costs at most 10 % (ratio ≥ 0.90). Each measurement
runs in its own process, single pack first, on the python engine.

    make bench                       # 10,000 cases each
    python bench/bench_matters.py --cases 2000
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATIO = 0.90


def _old_establish(directory: Path) -> Path:
    """A copy of the shipped 设立 pack as version 0.9.0, in force until the day before 1.0.0."""
    target = directory / "establish-0.9.0"
    shutil.copytree(ROOT / "rules" / "sole_proprietor" / "establish", target)
    manifest = target / "pack.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace('version: "1.0.0"', 'version: "0.9.0"').replace("version: 1.0.0", "version: 0.9.0")
    lines = [line for line in text.splitlines() if not line.startswith(("effective_from", "effective_until"))]
    lines += ["effective_from: 2024-01-01", "effective_until: 2025-07-14"]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def _example_cases(matter_dir: str) -> list[dict[str, Any]]:
    out = []
    for path in sorted((ROOT / "rules" / "sole_proprietor" / matter_dir / "examples").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.append(data["case"])
    return out


def _batch(kind: str, count: int) -> list[dict[str, Any]]:
    from govauto.testing.generate import generate_cases

    establish = list(generate_cases(count, seed=7))
    if kind == "single":
        return establish
    change, deregister = _example_cases("change"), _example_cases("deregister")
    cases: list[dict[str, Any]] = []
    for index in range(count):
        slot = index % 4
        if slot in (0, 1):
            case = establish[index]
            if slot == 1:  # before 2025-07-15: judged by the old version
                case = copy.deepcopy(case)
                case["submitted_at"] = f"2025-05-{1 + index % 28:02d}T10:00:00+08:00"
        else:
            source = change if slot == 2 else deregister
            case = copy.deepcopy(source[index % len(source)])
            case["case_id"] = f"MIX-{index:06d}"
        cases.append(case)
    return cases


def measure(kind: str, count: int) -> dict[str, Any]:
    """Review a batch in this process and return its figures."""
    from govauto import hookimpl
    from govauto.runtime import Runtime
    from govauto.testing.packs import ExampleNameRegistry

    with tempfile.TemporaryDirectory() as tmp:
        old = _old_establish(Path(tmp))

        class OldVersions:
            @hookimpl
            def govauto_register_rule_packs(self, register: Any) -> None:
                register(old)

        plugins: list[object] = [OldVersions()] if kind == "mixed" else []
        runtime = Runtime(plugins=plugins, lookups={"business_names": [ExampleNameRegistry()]})
        cases = _batch(kind, count)
        for case in cases[:8]:  # compile every version outside the timing
            runtime.review(case, extract=False)
        versions: dict[str, int] = {}
        start = time.perf_counter()
        for case in cases:
            decision = runtime.review(case, extract=False)
            key = f"{decision.pack_id} {decision.pack_version}"
            versions[key] = versions.get(key, 0) + 1
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"kind": kind, "cases": count, "seconds": seconds, "cases_per_s": count / seconds,
            "us_per_case": seconds / count * 1e6, "peak_rss_mb": peak, "versions": versions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--child", choices=["single", "mixed"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.cases)))
        return
    results = {}
    for kind in ("single", "mixed"):
        done = subprocess.run([sys.executable, __file__, "--cases", str(args.cases), "--child", kind],
                              capture_output=True, text=True, check=True)
        results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"review of {args.cases:,} cases, python engine, one core, each batch in its own process")
    print(f"{'batch':<12}{'µs/case':>10}{'cases/s':>10}{'peak RSS':>11}  judged by")
    for kind, r in results.items():
        spread = ", ".join(f"{k} ×{v}" for k, v in sorted(r["versions"].items()))
        print(f"{kind:<12}{r['us_per_case']:>10.1f}{r['cases_per_s']:>10,.0f}{r['peak_rss_mb']:>8.1f} MB  {spread}")
    ratio = results["mixed"]["cases_per_s"] / results["single"]["cases_per_s"]
    verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
    print(f"mixed/single throughput: {ratio:.2f} (goal ≥ {GOAL_RATIO:.2f}: version lookup costs at most 10 %): "
          f"{verdict}")


if __name__ == "__main__":
    main()
