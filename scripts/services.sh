#!/usr/bin/env bash
# Start (or stop, or check) the two servers govauto's cluster mode and its tests use, from Debian's packages, on
# loopback only:
#   PostgreSQL  127.0.0.1:${GOVAUTO_PG_PORT:-5432}   role govauto (password govauto), databases govauto and govauto_test
#   Redis       127.0.0.1:${GOVAUTO_REDIS_PORT:-6379} append-only file on, so queued messages survive a restart
#
#   scripts/services.sh start    install what is missing (apt), start both, create the role and databases
#   scripts/services.sh stop     stop both
#   scripts/services.sh status   exit 0 when both answer
#   scripts/services.sh env      print the URLs to export to use them (GOVAUTO_DATABASE_URL, GOVAUTO_BROKER_URL)
#   scripts/services.sh test-env print the URLs the tests look for (GOVAUTO_TEST_POSTGRES_URL, GOVAUTO_TEST_REDIS_URL)
#
# These are development and CI settings (a fixed password, loopback only); production servers are set up by their
# own administrators (docs/cluster.md).
set -euo pipefail

PG_VERSION="${GOVAUTO_PG_VERSION:-15}"
PG_PORT="${GOVAUTO_PG_PORT:-5432}"
REDIS_PORT="${GOVAUTO_REDIS_PORT:-6379}"
REDIS_DIR="${GOVAUTO_REDIS_DIR:-/var/lib/govauto-redis}"
PG_USER=govauto
PG_PASSWORD=govauto

say() { echo "services: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sudo -u postgres sh -c "$*"; fi
}

install_missing() {
  local missing=""
  for package in postgresql redis-server; do
    dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
  done
  if [ -n "$missing" ]; then
    say "installing$missing"
    as_root apt-get update -qq
    # The Debian packages try to start their servers through init scripts; in a container there is no init.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
}

pg_up() {
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
}

redis_up() {
  [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

wait_for() {
  local what="$1" check="$2"
  for _ in $(seq 1 100); do
    if $check; then return 0; fi
    sleep 0.2
  done
  say "$what did not start; see its log (PostgreSQL: /var/log/postgresql/, Redis: $REDIS_DIR/redis.log)"
  return 1
}

start_postgres() {
  if pg_up; then return 0; fi
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$PG_VERSION main"; then
    as_root pg_createcluster "$PG_VERSION" main --port "$PG_PORT" >/dev/null
  fi
  as_root pg_ctlcluster "$PG_VERSION" main start
  wait_for PostgreSQL pg_up
  as_postgres "psql -q -p $PG_PORT -v ON_ERROR_STOP=1" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD' CREATEDB;
  END IF;
END \$\$;
SQL
  for db in govauto govauto_test; do
    if ! as_postgres "psql -p $PG_PORT -tAc \"SELECT 1 FROM pg_database WHERE datname = '$db'\"" | grep -q 1; then
      as_postgres "createdb -p $PG_PORT -O $PG_USER $db"
    fi
  done
}

start_redis() {
  if redis_up; then return 0; fi
  as_root mkdir -p "$REDIS_DIR"
  as_root redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes --daemonize yes \
    --dir "$REDIS_DIR" --appendonly yes --appendfsync everysec --save "" \
    --logfile "$REDIS_DIR/redis.log" --pidfile "$REDIS_DIR/redis.pid"
  wait_for Redis redis_up
}

print_env() {
  echo "export GOVAUTO_DATABASE_URL=postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/govauto"
  echo "export GOVAUTO_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

print_test_env() {
  echo "export GOVAUTO_TEST_POSTGRES_URL=postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/govauto_test"
  echo "export GOVAUTO_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/15"
}

case "${1:-start}" in
  start)
    install_missing
    start_postgres
    start_redis
    say "PostgreSQL on 127.0.0.1:$PG_PORT and Redis on 127.0.0.1:$REDIS_PORT are up"
    ;;
  stop)
    if redis_up; then redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; fi
    if pg_up; then as_root pg_ctlcluster "$PG_VERSION" main stop; fi
    say "stopped"
    ;;
  status)
    pg_up && redis_up
    ;;
  env)
    print_env
    ;;
  test-env)
    print_test_env
    ;;
  *)
    echo "usage: $0 start|stop|status|env|test-env" >&2
    exit 2
    ;;
esac
