#!/usr/bin/env bash
# The demo: start the local stack, publish a push event through the bundled
# Action, let the relay submit a real SLURM job, show it, stop the stack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-deps.sh
npm run --silent build

stop_stack() {
  [ "${BII_KEEP_STACK:-0}" = 1 ] || bash stack/stack.sh down
}
trap stop_stack EXIT

bash stack/stack.sh up
node build/stack/demo.js
