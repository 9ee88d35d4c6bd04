#!/usr/bin/env bash
# Every test: format, lint and type checks, the build, then the unit and
# integration tests against the local stack, which this script starts and
# stops. Extra arguments go to jest (for example a test path pattern).
# BII_KEEP_STACK=1 leaves the stack running afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-deps.sh

echo "test: format, lint, types" >&2
npm run --silent check
npm run --silent build

stop_stack() {
  [ "${BII_KEEP_STACK:-0}" = 1 ] || bash stack/stack.sh down
}
trap stop_stack EXIT

bash stack/stack.sh up

# Fault tests stop and freeze the stack's shared daemons, so they run one
# at a time after the rest, which run in parallel.
results="$PWD/.stack/results"
rm -rf "$results"
mkdir -p "$results"

status=0
npm run --silent jest -- --passWithNoTests --testPathIgnorePatterns /faults/ \
  --json --outputFile "$results/main.json" "$@" || status=$?
npm run --silent jest -- --passWithNoTests --runInBand --testPathPatterns /faults/ \
  --json --outputFile "$results/faults.json" "$@" || status=$?

node scripts/test-totals.js "$results"/*.json || status=1
if [ "$status" -ne 0 ]; then
  echo "test: failed; the stack's logs follow" >&2
  bash stack/stack.sh logs >&2 || true
fi
exit "$status"
