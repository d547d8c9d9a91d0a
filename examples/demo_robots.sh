#!/usr/bin/env bash
# `make demo`, part 2: approved cases entered into the legacy-portal simulator by robot jobs.
#
# Starts the simulator on a free loopback port, reviews the approved example case and queues its robot job
# (govauto review --enqueue), queues a second case the old system will refuse (its 申请日期 is in the future), runs
# two workers until the queue is empty, lists the jobs with their receipt numbers, and shows the evidence the
# refused one left (screenshot, page HTML, Playwright trace).
set -euo pipefail
BIN=${BIN:-.venv/bin}
export GOVAUTO_HOME=${GOVAUTO_HOME:-build/demo-home}
rm -rf "$GOVAUTO_HOME" && mkdir -p "$GOVAUTO_HOME"
source examples/start_portal.sh
export GOVAUTO_CREDENTIALS_LEGACY_PORTAL_USERNAME=robot GOVAUTO_CREDENTIALS_LEGACY_PORTAL_PASSWORD=robot-pass

trap '[ -z "${PORTAL_PID:-}" ] || { kill "$PORTAL_PID" 2>/dev/null; wait "$PORTAL_PID" 2>/dev/null || true; }' EXIT
start_portal

"$BIN/govauto" review examples/cases/approve.yaml --enqueue
"$BIN/python" - "$GOVAUTO_HOME/refused.yaml" <<'PY'
import datetime as dt, sys, yaml
case = yaml.safe_load(open("examples/cases/approve.yaml", encoding="utf-8"))
case["case_id"] = "NS-2026-000124"
case["applicant"]["name"] = "李四"
case["submitted_at"] = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=3)).isoformat(timespec="seconds")
yaml.safe_dump(case, open(sys.argv[1], "w", encoding="utf-8"), allow_unicode=True)
PY
echo; echo "A case the old system will refuse (申请日期 in the future), queued directly:"
"$BIN/govauto" jobs submit "$GOVAUTO_HOME/refused.yaml"
echo; "$BIN/govauto" worker --drain --concurrency 2
echo; "$BIN/govauto" jobs list
REFUSED=$("$BIN/govauto" jobs list --status needs_review --json | "$BIN/python" -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
echo; "$BIN/govauto" jobs artifacts "$REFUSED"
