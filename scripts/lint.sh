#!/usr/bin/env bash
# The linters CI runs: ruff (format and lint, the whole tree) and mypy (strict
# on domain/ and schemas/, configured in pyproject.toml). Fails on the first
# finding.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV=$(scripts/venv.sh)
"$VENV/bin/ruff" format --check .
"$VENV/bin/ruff" check .
"$VENV/bin/mypy"
echo "lint: ruff and mypy clean"
