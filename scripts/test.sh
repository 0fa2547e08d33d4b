#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what is missing, starts RabbitMQ, runs
# formatting and lint checks and every test (unit, property, state-machine, end-to-end,
# blocking facade, examples), then stops RabbitMQ. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

require_cargo
trap stop_rabbitmq EXIT
start_rabbitmq

export WARREN_TEST_URI="${WARREN_TEST_URI:-amqp://guest:guest@127.0.0.1:5672/%2f}"
status=0

echo "==> cargo fmt --check"
cargo fmt --all -- --check || status=1

echo "==> cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings || status=1

echo "==> cargo test (broker: $WARREN_TEST_URI)"
cargo test --workspace || status=1

if [ "$status" = 0 ]; then echo "==> all checks passed"; else echo "==> FAILED (see above)"; fi

exit $status
