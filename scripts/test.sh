#!/usr/bin/env bash
# Install what the tests need (Asterisk, sipp, baresip, PostgreSQL, Redis, chromium, the venv
# and playwright-core) and run
# the whole suite: unit tests, Redis/PostgreSQL integration tests and end-to-end calls on a
# real Asterisk. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh --test
bash scripts/setup-venv.sh --test
bash scripts/setup-desk.sh
# playwright-core for the browser test, as locked (it drives Debian's chromium: no download)
(cd tests/browser && npm ci --no-audit --no-fund --silent)
.venv/bin/ruff check ccengine tests bench
# four at a time (pytest-xdist): the end-to-end tests mostly wait on real timers, each with
# its own Asterisk on free loopback ports; pass -n 0 to run them one by one
exec .venv/bin/pytest -q -rs -n 4 --dist worksteal "$@"
