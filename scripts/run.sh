#!/usr/bin/env bash
# Set up everything (Asterisk, sipp, baresip, the Python venv) and run the engine with a
# project-private Asterisk on its embedded defaults. Extra arguments go to `ccengine run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
bash scripts/setup-venv.sh
exec .venv/bin/ccengine run "$@"
