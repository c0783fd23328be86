#!/usr/bin/env bash
# A real PostgreSQL server (Debian's package) on 127.0.0.1 for development and tests.
#   scripts/postgres.sh start | stop | status
# Installs the server with apt when it is missing, creates the cluster on first
# start, and creates the povwatch role and database.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${POVWATCH_POSTGRES_PORT:-55432}
DB=${POVWATCH_POSTGRES_DBNAME:-povwatch}
USER_NAME=${POVWATCH_POSTGRES_USER:-povwatch}
PASSWORD=${POVWATCH_POSTGRES_PASSWORD:-povwatch}
STATE=${POVWATCH_STATE_DIR:-$ROOT/.povwatch}/postgres
DATA=$STATE/data
LOG=$STATE/server.log

say() { echo "postgres: $*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

need_server() {
  if [ -n "$(bindir)" ] && [ -x "$(bindir)/postgres" ]; then return; fi
  if command -v apt-get >/dev/null; then
    say "installing PostgreSQL with apt"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  else
    say "PostgreSQL server binaries are needed; install them and try again"; exit 1
  fi
}

# PostgreSQL refuses to run as root: run it as the 'postgres' account then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Memory and WAL as docs/scaling.md sizes a county's server: shared buffers a
# quarter of RAM (at most 2 GB here, at least the server's own 128 MB), so
# that a million households' statuses and the events' indexes stay in them,
# and no checkpoint in the middle of a month's dump: after each one, the first
# change of every page writes its whole image to the WAL again. A checkpoint
# starts once the WAL since the last one reaches about half of max_wal_size,
# or after checkpoint_timeout (5 minutes by default); a million households'
# dump writes 4-5 GB of WAL over some ten minutes, so 16 GB and an hour.
tuning() {
  local mem_mb buffers_mb
  mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo 2>/dev/null || echo 0)
  buffers_mb=$(( mem_mb / 4 ))
  [ "$buffers_mb" -le 2048 ] || buffers_mb=2048
  [ "$buffers_mb" -ge 128 ] || buffers_mb=128
  echo "-c shared_buffers=${POVWATCH_POSTGRES_SHARED_BUFFERS:-${buffers_mb}MB} -c max_wal_size=${POVWATCH_POSTGRES_MAX_WAL_SIZE:-16GB} -c checkpoint_timeout=${POVWATCH_POSTGRES_CHECKPOINT_TIMEOUT:-1h}"
}

start() {
  need_server
  local bin; bin=$(bindir)
  mkdir -p "$STATE"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$STATE"; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "creating a cluster in $DATA"
    as_owner "$bin/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    say "already running on 127.0.0.1:$PORT"
  else
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c max_connections=200 $(tuning)" >/dev/null
    say "server up on 127.0.0.1:$PORT"
  fi
  local psql=("$bin/psql" -h "$DATA" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
  if [ "$(as_owner "${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='$USER_NAME'")" != 1 ]; then
    as_owner "${psql[@]}" -c "CREATE ROLE $USER_NAME LOGIN PASSWORD '$PASSWORD'"
  fi
  if [ "$(as_owner "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname='$DB'")" != 1 ]; then
    as_owner "${psql[@]}" -c "CREATE DATABASE $DB OWNER $USER_NAME"
    say "created database $DB"
  fi
}

stop() {
  local bin; bin=$(bindir)
  if [ -n "$bin" ] && [ -f "$DATA/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    say "stopped"
  else
    say "not running"
  fi
}

status() {
  local bin; bin=$(bindir)
  if [ -n "$bin" ] && "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then say "up on 127.0.0.1:$PORT"; else say "down"; exit 1; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
