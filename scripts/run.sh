#!/usr/bin/env bash
# Set up everything (Asterisk, sipp, baresip, Node.js, the Python venv, the desk's browser
# libraries) and run the engine with a
# project-private Asterisk on its embedded defaults. Extra arguments go to `ccengine run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
bash scripts/setup-venv.sh
bash scripts/setup-desk.sh
exec .venv/bin/ccengine run "$@"
