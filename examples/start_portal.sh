# Sourced by the demo scripts: start the legacy-portal simulator on a free loopback port in the background and wait
# until it answers. Sets PORTAL_PID (the caller stops it) and exports GOVAUTO_PORTAL_URL.
start_portal() {
  local PORT
  PORT=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export GOVAUTO_PORTAL_URL="http://127.0.0.1:$PORT"
  "$BIN/govauto" sandbox portal --port "$PORT" --db "$GOVAUTO_HOME/portal.db" >"$GOVAUTO_HOME/portal.log" 2>&1 &
  PORTAL_PID=$!
  "$BIN/python" - "$GOVAUTO_PORTAL_URL" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1] + "/login.do", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the legacy-portal simulator did not start")
PY
  echo "legacy-portal simulator: $GOVAUTO_PORTAL_URL (user robot, password robot-pass)"
}
