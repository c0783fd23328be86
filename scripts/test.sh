#!/usr/bin/env bash
# Runs the whole test suite against a real Kafka broker and a real PostgreSQL
# server, both started here and stopped afterwards (unless they were already
# running). Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV=$(scripts/venv.sh)

# From Debian's packages: promtool and a Prometheus server for the operators'
# tests; Chromium, and a font with Chinese glyphs, for the inbox's browser tests
# (Playwright drives the system browser; it downloads none of its own).
missing=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
command -v chromium >/dev/null || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test: installing ${missing[*]} with apt" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

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
