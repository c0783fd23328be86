#!/usr/bin/env bash
# Installs, from Debian's packages, what the tests and the benchmarks need
# beside Python: promtool and a Prometheus server for the operators' tests;
# Chromium for the pages' browser tests (Playwright drives the system browser;
# it downloads none of its own); a font with Chinese glyphs for the browser and
# for the notices and reports rendered as PDF. Installs only what is missing.
set -euo pipefail
missing=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
command -v chromium >/dev/null || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "packages: installing ${missing[*]} with apt" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
