#!/usr/bin/env bash
# Installs what the project needs on a fresh machine (sourced by run.sh and test.sh):
#   - Java 17+ and Maven (apt-get, if missing) for the Kafka broker from Maven Central;
#   - the Python venv in .venv with the package and its dev extra (re-run when pyproject changes);
#   - the Kafka jars (Maven, into .cache/m2);
#   - with WALLBOARD_BROWSER=1: Debian's Chromium for the browser tests;
#   - with WALLBOARD_TEST_TOOLS=1: Debian's Prometheus (with promtool) and Alertmanager, which the
#     rule tests and the alerting tests start for real.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '[setup] %s\n' "$*"; }
APT_UPDATED=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    say "missing $*; install it (apt-get install $*) or re-run as root"; return 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v java >/dev/null || { say "installing Java"; apt_install openjdk-17-jre-headless; }
command -v mvn >/dev/null || { say "installing Maven"; apt_install maven; }
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  say "Python >= 3.11 is needed (found $("$PY" --version 2>&1))"; exit 1; }
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv || { apt_install python3-venv && "$PY" -m venv .venv; }
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  say "installing the package and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-* && touch "$stamp"
fi
.venv/bin/wallboard kafka fetch
if [ "${WALLBOARD_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's Chromium for the browser tests"
  apt_install chromium chromium-driver
fi
# The board in Simplified Chinese needs a CJK font (else its labels render as boxes).
if [ "${WALLBOARD_BROWSER:-0}" = 1 ] && ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
  say "installing a CJK font (fonts-wqy-zenhei) for the zh-CN board"
  apt_install fonts-wqy-zenhei fontconfig
fi
if [ "${WALLBOARD_TEST_TOOLS:-0}" = 1 ] && { ! command -v promtool >/dev/null || [ ! -x /usr/bin/prometheus-alertmanager ]; }; then
  say "installing Debian's Prometheus and Alertmanager for the rule and alerting tests"
  apt_install prometheus prometheus-alertmanager
fi
