#!/usr/bin/env bash
# The main job on the embedded default: a local Kafka broker and the SQLite
# store. Publishes sample department events and prints the risk statuses.
# The broker keeps running afterwards; stop it with scripts/kafka.sh stop.
# The village notice is printed with a Chinese font, installed here when
# fontconfig finds none (only the font: the tests' browser and Prometheus are
# not the demo's).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV=$(scripts/venv.sh)
scripts/packages.sh font
scripts/kafka.sh start
exec "$VENV/bin/python" -m synthetic demo "$@"
