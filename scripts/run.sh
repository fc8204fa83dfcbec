#!/usr/bin/env bash
# Runs the product: a local Kafka broker, the worker, simulated traffic and the TV wallboard.
# Installs everything first (see scripts/setup.sh). Prints the URLs; Ctrl-C stops it all.
# Extra arguments go to `wallboard demo` (e.g. --rate 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
exec .venv/bin/wallboard demo "$@"
