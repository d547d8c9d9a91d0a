#!/usr/bin/env bash
# `make demo`, part 3: cases through the whole pipeline, referred ones left in the review queue for people.
#
# Processes the example cases, the case with generated materials and the rule packs' example cases of all three
# matters (intake → reading the materials → review →
# outcome): the approved one gets its robot job, 补正 and reject get their notices, referred ones a review task.
# Creates demo reviewer accounts, checks the audit trail, and prints how to open the reviewer page.
set -euo pipefail
BIN=${BIN:-.venv/bin}
export GOVAUTO_HOME=${GOVAUTO_HOME:-build/demo-review}
rm -rf "$GOVAUTO_HOME" && mkdir -p "$GOVAUTO_HOME"

CASES=(examples/cases/*.yaml)
if [ -f build/demo-case/case.yaml ]; then  # the scanned materials made earlier by `make demo`, as another case
  cp -r build/demo-case "$GOVAUTO_HOME/scanned-case"
  sed -i 's/^case_id: .*/case_id: NS-2026-000127/' "$GOVAUTO_HOME/scanned-case/case.yaml"
  CASES+=("$GOVAUTO_HOME/scanned-case/case.yaml")
fi
"$BIN/govauto" process "${CASES[@]}"

echo; echo "A batch over the three matters (设立, 变更, 注销): the example cases of every installed rule pack:"
"$BIN/python" examples/demo_batch.py "$GOVAUTO_HOME/batch"
"$BIN/govauto" process "$GOVAUTO_HOME"/batch/*.yaml | tail -n 3
echo "…"

echo "demo-review-2026" | "$BIN/govauto" users add demo --role reviewer --group 440305 --display-name 审核员甲 --password-stdin
echo "demo-review-2026" | "$BIN/govauto" users add demo2 --role reviewer --group 440305 --display-name 审核员乙 --password-stdin
echo "demo-super-2026" | "$BIN/govauto" users add chief --role supervisor --group 440305 --display-name 科长 --password-stdin
echo; "$BIN/govauto" audit verify
"$BIN/govauto" report --html "$GOVAUTO_HOME/report.html" >/dev/null
echo "KPIs of this batch (outcomes, straight-through rate, stage times, referrals and 补正 by rule, SLA): $GOVAUTO_HOME/report.html"
echo
echo "Referred cases are waiting in the review queue. Start the reviewer page with"
echo "    GOVAUTO_HOME=$GOVAUTO_HOME $BIN/govauto serve --port 8000"
echo "then open http://127.0.0.1:8000 and log in as demo / demo-review-2026"
echo "(demo2 / demo-review-2026 confirms four-eyes decisions; chief / demo-super-2026 is the supervisor)."
