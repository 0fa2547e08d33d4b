#!/usr/bin/env bash
# The main job, on a fresh machine: builds the workspace, starts Warren's reference broker
# (warren-broker) on a free loopback port from 5673, runs the talk's three scenarios (batch
# processing, image upload, distributed logging) plus RPC against it, then stops the broker.
# No RabbitMQ is needed.
#
# Set WARREN_URI to run the scenarios against another broker instead (nothing is started then),
# e.g. WARREN_URI=amqp://guest:guest@127.0.0.1:5672/%2f ./scripts/run.sh for a local RabbitMQ.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

require_cargo
trap stop_warren_broker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> cargo build --workspace"
cargo build --workspace
if [ -z "${WARREN_URI:-}" ]; then
  start_warren_broker 5673
  WARREN_URI="$WARREN_BROKER_URI"
fi
export WARREN_URI

failed=()
for scenario in batch_processing image_upload distributed_logging rpc; do
  echo "==> $scenario (broker: $WARREN_URI)"
  if ! timeout 120 "target/debug/$scenario" "$WARREN_URI"; then
    failed+=("$scenario")
  fi
done
if [ -n "$WARREN_BROKER_PID" ] && ! kill -0 "$WARREN_BROKER_PID" 2>/dev/null; then
  echo "==> warren-broker died during the scenarios; its log: $WARREN_BROKER_LOG" >&2
  failed+=("warren-broker")
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "==> FAILED: ${failed[*]}"
  if [ -n "$WARREN_BROKER_LOG" ]; then echo "==> the broker's log: $WARREN_BROKER_LOG"; fi
  exit 1
fi
echo "==> all scenarios passed"
