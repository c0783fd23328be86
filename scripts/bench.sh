#!/usr/bin/env bash
# The benchmarks on a real Kafka broker and PostgreSQL (both started here when
# not running). Arguments go to bench/run.py: --quick, --json FILE, ...
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV=$(scripts/venv.sh)
scripts/packages.sh
for svc in kafka postgres; do
  scripts/$svc.sh status >/dev/null 2>&1 || scripts/$svc.sh start
done
exec "$VENV/bin/python" -m bench.run "$@"
