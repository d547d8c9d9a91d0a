#!/usr/bin/env bash
# `make demo-cluster`: the demo batch on PostgreSQL, Redis and two Celery workers.
#
# Uses the PostgreSQL and Redis of scripts/services.sh (make services starts them): a fresh database govauto_demo
# and Redis database 1, emptied first. Starts the legacy-portal simulator on a free loopback port and two Celery
# workers in the background (each `govauto worker --runner celery`, one job at a time; on real machines each
# would run on its own host), queues ten approved cases and one the old system will refuse, then the example cases
# of the three matters as processing jobs (extraction and review on the workers), waits until every job is final,
# lists the jobs, shows where one of them ran and the portal's peak of concurrent sessions, and stops the workers
# (SIGTERM: they finish what they run, then exit).
set -euo pipefail
BIN=${BIN:-.venv/bin}
export GOVAUTO_HOME=${GOVAUTO_HOME:-build/demo-cluster}
rm -rf "$GOVAUTO_HOME" && mkdir -p "$GOVAUTO_HOME"

if ! bash scripts/services.sh status; then
  echo "PostgreSQL and Redis are not running: start them with 'make services' (scripts/services.sh start)" >&2
  exit 1
fi
eval "$(bash scripts/services.sh env)"
export GOVAUTO_DATABASE_URL="${GOVAUTO_DATABASE_URL%/*}/govauto_demo"
export GOVAUTO_BROKER_URL="${GOVAUTO_BROKER_URL%/*}/1"
"$BIN/python" - <<'PY'
import os
import psycopg, redis
from sqlalchemy.engine import make_url

demo = make_url(os.environ["GOVAUTO_DATABASE_URL"])
admin = demo.set(drivername="postgresql", database="govauto").render_as_string(hide_password=False)
with psycopg.connect(admin, autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{demo.database}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{demo.database}"')
redis.Redis.from_url(os.environ["GOVAUTO_BROKER_URL"]).flushdb()
PY
echo "database: $(sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#' <<<"$GOVAUTO_DATABASE_URL")   broker: $GOVAUTO_BROKER_URL"

source examples/start_portal.sh
export GOVAUTO_CREDENTIALS_LEGACY_PORTAL_USERNAME=robot GOVAUTO_CREDENTIALS_LEGACY_PORTAL_PASSWORD=robot-pass

PIDS=()
cleanup() {
  [ -z "${PORTAL_PID:-}" ] || kill "$PORTAL_PID" 2>/dev/null || true  # also when it never answered
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
start_portal
PIDS+=("$PORTAL_PID")

for n in 1 2; do
  "$BIN/govauto" worker --runner celery --concurrency 1 >"$GOVAUTO_HOME/worker-$n.log" 2>&1 &
  PIDS+=($!)
  echo "celery worker $n: pid $! (log $GOVAUTO_HOME/worker-$n.log)"
done

echo; echo "Queueing the batch: the approved example case, ten generated approved cases, and one the old system refuses"
"$BIN/govauto" review examples/cases/approve.yaml --enqueue
"$BIN/python" - "$GOVAUTO_HOME/cases" <<'PY'
import datetime as dt, pathlib, sys, yaml
from govauto.testing.generate import generate_approved_cases

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
for case in generate_approved_cases(10, seed=2026):
    (out / f"{case['case_id']}.yaml").write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
refused = yaml.safe_load(open("examples/cases/approve.yaml", encoding="utf-8"))
refused["case_id"] = "NS-2026-000124"
refused["applicant"]["name"] = "李四"
refused["submitted_at"] = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
                           + dt.timedelta(days=3)).isoformat(timespec="seconds")
(out / "refused.yaml").write_text(yaml.safe_dump(refused, allow_unicode=True), encoding="utf-8")
PY
"$BIN/govauto" jobs submit "$GOVAUTO_HOME"/cases/*.yaml

echo; echo "Queueing processing jobs: the example cases and the packs' examples of the three matters are read and"
echo "reviewed on the workers too (queue extraction); approved ones then get their robot job there"
"$BIN/python" examples/demo_batch.py "$GOVAUTO_HOME/batch"
"$BIN/govauto" process --queue examples/cases/*.yaml "$GOVAUTO_HOME"/batch/*.yaml | tail -n 3

echo; echo "Waiting for the two workers to run every job (the portal takes 2 sessions at a time)..."
"$BIN/python" - <<'PY'
import sys, time
from govauto.jobs import JobQueue
from govauto.store import open_store

queue = JobQueue(open_store())
deadline = time.monotonic() + 300
last = None
while True:
    counts = queue.counts()
    line = " ".join(f"{status}={n}" for status, n in counts.items())
    if line != last:
        print(line, flush=True)
        last = line
    if counts["queued"] == 0 and counts["running"] == 0:
        break
    if time.monotonic() > deadline:
        sys.exit("the jobs did not finish within 5 minutes: see the worker logs")
    time.sleep(1)
PY

echo; "$BIN/govauto" jobs list
FIRST=$("$BIN/govauto" jobs list --status succeeded --json | "$BIN/python" -c 'import json,sys; print([json.loads(l)["id"] for l in sys.stdin][-1])')
echo; echo "How one job went (dispatched to the broker, leased by a worker process, entered, receipt):"
"$BIN/govauto" jobs show "$FIRST"
echo; "$BIN/python" - "$GOVAUTO_PORTAL_URL" <<'PY'
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(sys.argv[1] + "/__admin/stats"))
print(f"portal: {stats['submits']} applications stored, at most {stats['max_active_sessions']} sessions at once "
      "(its limit is 2, across both workers)")
PY
echo; echo "Stopping the workers (SIGTERM: each finishes its job and exits)"
for pid in "${PIDS[@]:1}"; do kill -TERM "$pid"; done
for pid in "${PIDS[@]:1}"; do wait "$pid" || true; done
PIDS=("${PIDS[0]}")
echo; echo "What the two workers logged (dispatches and attempts, both logs by time):"
grep -h "dispatched\|attempt .* →" "$GOVAUTO_HOME"/worker-*.log | sort | sed -E 's/^[0-9-]+ //' | sed -n '1,30p'
