#!/usr/bin/env bash
# The main job, on a fresh machine: installs what is missing, starts a broker and runs the
# talk's three scenarios (batch processing, image upload, distributed logging) plus RPC
# against it, then stops the broker.
#
# Until Warren's reference broker lands, the broker is RabbitMQ. Set WARREN_URI to run the
# scenarios against another broker instead (nothing is started then).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

require_cargo
trap stop_rabbitmq EXIT
if [ -z "${WARREN_URI:-}" ]; then
  start_rabbitmq
  export WARREN_URI="amqp://guest:guest@127.0.0.1:5672/%2f"
fi

cargo build --release -q -p warren-examples
for scenario in batch_processing image_upload distributed_logging rpc; do
  echo "==> $scenario"
  "target/release/$scenario" "$WARREN_URI"
done
echo "==> all scenarios passed"
