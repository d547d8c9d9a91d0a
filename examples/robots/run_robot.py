"""For ops and map authors: enter an approved case into the legacy-portal simulator with the built-in robot.

    python examples/robots/run_robot.py                       # examples/cases/approve.yaml
    python examples/robots/run_robot.py path/to/case.yaml

It starts the simulator (:class:`govauto.testing.legacy_portal.LegacyPortal`) on a free port with a throw-away
database, points the form map at it through ``GOVAUTO_PORTAL_URL`` (the map's ``base_url`` is
``${GOVAUTO_PORTAL_URL:-http://127.0.0.1:8765}``), runs the matter's robot (``legacy_portal.establish``, the map
``src/govauto/default_plugins/robots/legacy_portal_establish.yaml``) in headless Chromium with the simulator's
account, and prints the receipt number (受理号) the system gave. Guide: ``docs/form-maps.md``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import govauto
from govauto.robots import BrowserHost, Credentials, LocalRunContext, run_robot
from govauto.testing.legacy_portal import DEFAULT_USERS, LegacyPortal

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    case_path = Path(argv[1]) if len(argv) > 1 else ROOT / "examples" / "cases" / "approve.yaml"
    runtime = govauto.Runtime()
    case = runtime.load_case(case_path)  # the case contract is checked here (CaseError lists every wrong field)
    robot = runtime.robot_for(case.matter)
    if robot is None:
        print(f"no robot enters {case.matter} cases", file=sys.stderr)
        return 1
    facts = runtime.facts(case)
    username, password = next(iter(DEFAULT_USERS.items()))  # the simulator's account: robot / robot-pass
    evidence = Path(tempfile.mkdtemp(prefix="govauto-robot-"))  # screenshot, HTML and trace if it fails

    with tempfile.TemporaryDirectory() as work, LegacyPortal(Path(work) / "portal.db") as portal:
        os.environ["GOVAUTO_PORTAL_URL"] = portal.url
        with BrowserHost() as host:
            result = run_robot(robot, facts, browser=host.browser(), ctx=LocalRunContext(evidence),
                               base_dir=case_path.parent, credentials=Credentials(username, password))

    if result.status != "succeeded":
        print(f"{case.case_id}: {result.status} ({result.error_kind}): {result.message}", file=sys.stderr)
        for kind, path in result.artifacts:
            print(f"  {kind}: {path}", file=sys.stderr)
        return 1
    shutil.rmtree(evidence, ignore_errors=True)
    print(f"{case.case_id}: entered by {robot.id}, receipt {result.receipt}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
