#!/usr/bin/env bash
# The main job on the embedded default: a local Kafka broker and the SQLite
# store. Publishes sample department events and prints the risk statuses.
# The broker keeps running afterwards; stop it with scripts/kafka.sh stop.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV=$(scripts/venv.sh)
scripts/kafka.sh start
exec "$VENV/bin/python" -m synthetic demo "$@"
