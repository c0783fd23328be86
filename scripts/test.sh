#!/usr/bin/env bash
# Runs the whole test suite against a real Kafka broker and a real PostgreSQL
# server, both started here and stopped afterwards (unless they were already
# running). Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV=$(scripts/venv.sh)

scripts/packages.sh

started=()
cleanup() {
  for svc in "${started[@]}"; do scripts/$svc.sh stop || true; done
}
trap cleanup EXIT
for svc in kafka postgres; do
  if ! scripts/$svc.sh status >/dev/null 2>&1; then
    scripts/$svc.sh start
    started+=("$svc")
  fi
done

"$VENV/bin/python" -m pytest "$@"
