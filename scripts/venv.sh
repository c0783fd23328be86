#!/usr/bin/env bash
# Creates (or reuses) the project's virtual environment and installs povwatch
# into it. Prints the environment's path. POVWATCH_VENV overrides the place.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${POVWATCH_VENV:-$ROOT/.venv}
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "povwatch needs Python 3.11 or newer (found: $("$PY" --version 2>&1))" >&2; exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    echo "venv: installing python3-venv with apt" >&2
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
    "$PY" -m venv "$VENV"
  fi
fi
stamp=$VENV/.povwatch-installed
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
  echo "venv: installing povwatch and its dependencies into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q -e "$ROOT[test]" >&2
  touch "$stamp"
fi
echo "$VENV"
