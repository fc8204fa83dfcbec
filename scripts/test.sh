#!/usr/bin/env bash
# Runs every test: unit, integration on a real Kafka broker, and the wallboard in Chromium.
# Installs everything first (see scripts/setup.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export WALLBOARD_BROWSER=1 WALLBOARD_TEST_TOOLS=1
source scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/lint-imports --no-logo  # the layer contracts (pyproject.toml, docs/architecture.md)
# In CI a test whose tool (Chromium, prometheus, promtool, Alertmanager, amtool) or shared
# data is missing fails, not skips (tests/support.py: require_tool, shared_data).
if [ "${CI:-}" = true ]; then export WALLBOARD_REQUIRE_TOOLS=1; fi
start=$(date +%s)
set +e
.venv/bin/python -m pytest --durations=8 "$@"
rc=$?
set -e
echo "[test] pytest finished in $(( $(date +%s) - start )) s (exit $rc)"
# In CI also the engine's mutation check (about a minute; docs/metrics-engine.md).
if [ "$rc" = 0 ] && [ "${CI:-}" = true ]; then
  .venv/bin/python scripts/mutants.py || rc=$?
fi
exit $rc
