#!/usr/bin/env bash
# Installs what the project needs on a fresh machine (sourced by run.sh and test.sh):
#   - Java 17+ and Maven (apt-get, if missing) for the Kafka broker from Maven Central;
#   - the Python venv in .venv with the package and its dev extra (re-run when pyproject changes);
#   - the Kafka jars (Maven, into .cache/m2);
#   - with WALLBOARD_BROWSER=1: Debian's Chromium and a CJK font for the browser tests;
#   - with WALLBOARD_TEST_TOOLS=1: Debian's Prometheus (prometheus, promtool) and Alertmanager
#     (prometheus-alertmanager, amtool), which the rule tests and the alerting tests start for
#     real.
# Each of these is checked after its install: one line naming the one still missing, exit 1.
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

# What the tests start for real. Each is installed when missing, then checked: a tool still
# missing stops here with one line naming it (CI must not run those tests as skips).
# (not grep -q: under pipefail, fc-list killed by SIGPIPE would read as no font)
cjk_font() { fc-list 2>/dev/null | grep -i "wenquanyi\|noto sans cjk" >/dev/null; }
missing_tool() {  # the first of the given commands not on PATH, if any
  local t; for t in "$@"; do command -v "$t" >/dev/null || { echo "$t"; return; }; done
}
TEST_TOOLS="prometheus promtool prometheus-alertmanager amtool"
if [ "${WALLBOARD_BROWSER:-0}" = 1 ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's Chromium for the browser tests"
    apt_install chromium chromium-driver
  fi
  # The board in Simplified Chinese needs a CJK font (else its labels render as boxes).
  if ! cjk_font; then
    say "installing a CJK font (fonts-wqy-zenhei) for the zh-CN board"
    apt_install fonts-wqy-zenhei fontconfig
  fi
  [ -x /usr/bin/chromium ] || { say "missing /usr/bin/chromium (Debian's chromium) for the browser tests"; exit 1; }
  cjk_font || { say "missing a CJK font (fonts-wqy-zenhei) for the browser tests"; exit 1; }
fi
if [ "${WALLBOARD_TEST_TOOLS:-0}" = 1 ]; then
  # shellcheck disable=SC2086 # a list of names
  if [ -n "$(missing_tool $TEST_TOOLS)" ]; then
    say "installing Debian's Prometheus and Alertmanager for the rule and alerting tests"
    apt_install prometheus prometheus-alertmanager
  fi
  # shellcheck disable=SC2086
  tool=$(missing_tool $TEST_TOOLS)
  [ -z "$tool" ] || { say "missing $tool (Debian's prometheus / prometheus-alertmanager) for the rule and alerting tests"; exit 1; }
fi
