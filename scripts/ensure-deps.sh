#!/usr/bin/env bash
# Installs the npm packages from the lock file when they are missing or older
# than it, so that `npm test` and `npm run demo` work on a fresh clone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

marker=node_modules/.package-lock.json
if [ ! -f "$marker" ] || [ package-lock.json -nt "$marker" ]; then
  echo "deps: npm ci" >&2
  npm ci --no-audit --no-fund
fi
