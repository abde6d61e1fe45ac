#!/usr/bin/env bash
# Install the agent desk's browser libraries from npm as locked (agents/desk/package-lock.json)
# and bundle JsSIP into agents/desk/vendor/jssip.js (an ES module the page imports; JsSIP's
# npm package ships CommonJS only). Quick when nothing changed. Needs Node.js >= 18 and npm
# (scripts/install-system.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../agents/desk"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --silent
fi
if [ ! -f vendor/jssip.js ] || [ ! -f vendor/jssip.js.gz ] \
   || [ package-lock.json -nt vendor/jssip.js ] || [ vendor-entry/jssip.js -nt vendor/jssip.js ]; then
  npm run -s bundle
  # a gzip copy beside it: the engine sends it to browsers that accept gzip (251 KB -> ~70 KB)
  gzip -9 -k -f vendor/jssip.js
fi
