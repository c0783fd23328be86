#!/usr/bin/env bash
# Installs, from Debian's packages, what the tests and the benchmarks need
# beside Python: promtool and a Prometheus server for the operators' tests;
# Chromium for the pages' browser tests (Playwright drives the system browser;
# it downloads none of its own); a font with Chinese glyphs for the browser and
# for the notices and reports rendered as PDF. Installs only what is missing.
#
# `scripts/packages.sh font` installs only the font (and fontconfig, which
# finds it), for the demo's village notice; where apt cannot install it, it
# says what to install and succeeds: the demo then runs without the notice.
set -euo pipefail
only=${1:-all}
case "$only" in all | font) ;; *) echo "usage: $0 [font]" >&2; exit 2 ;; esac
# A font the settings name is the one the notice uses.
[ "$only" = font ] && [ -n "${POVWATCH_PDF_FONT:-}" ] && exit 0
missing=()
if [ "$only" = all ]; then
  command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
  command -v chromium >/dev/null || missing+=(chromium)
fi
# fonts-wqy-microhei only recommends fontconfig, and recommendations are not installed.
command -v fc-match >/dev/null || missing+=(fontconfig)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -gt 0 ] || exit 0
echo "packages: installing ${missing[*]} with apt" >&2
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
apt_install() {
  command -v apt-get >/dev/null && { [ -z "$sudo" ] || command -v sudo >/dev/null; } || return 1
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
if [ "$only" = all ]; then
  apt_install
elif ! apt_install; then
  echo "packages: could not install ${missing[*]}; install a font with Chinese glyphs" \
    "(Debian: apt-get install fontconfig fonts-wqy-microhei) or set POVWATCH_PDF_FONT" \
    "to one, to print the village notice" >&2
fi
