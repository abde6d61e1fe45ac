#!/usr/bin/env bash
# Create .venv and install ccengine into it (editable, with the test extras if --test).
# Quick when nothing changed: reinstalls only when pyproject.toml is newer than the marker.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"
marker=".venv/.installed${extras:+-test}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -f "$marker" ] || [ pyproject.toml -nt "$marker" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".${extras}"
  touch "$marker"
fi
