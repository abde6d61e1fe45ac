#!/usr/bin/env bash
# Install what the tests need (Asterisk, sipp, baresip, PostgreSQL, Redis, chromium, the venv
# and playwright-core) and run
# the whole suite: unit tests, Redis/PostgreSQL integration tests and end-to-end calls on a
# real Asterisk. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh --test
bash scripts/setup-venv.sh --test
# playwright-core for the browser test, as locked (it drives Debian's chromium: no download)
(cd tests/browser && npm ci --no-audit --no-fund --silent)
.venv/bin/ruff check ccengine tests bench
exec .venv/bin/pytest -q -rs "$@"
