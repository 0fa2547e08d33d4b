#!/usr/bin/env bash
# Runs every C example built in DIR against URI (or $WARREN_URI); prints each one's outcome
# and "N passed, N failed".
set -uo pipefail
dir="${1:?usage: run_all.sh BUILD_DIR [URI]}"
uri="${2:-${WARREN_URI:-amqp://guest:guest@127.0.0.1:5672/%2f}}"
passed=0
failed=0
for name in batch_processing image_upload distributed_logging rpc; do
  if timeout 60 "$dir/$name" "$uri"; then
    passed=$((passed + 1))
  else
    echo "$name: FAILED" >&2
    failed=$((failed + 1))
  fi
done
echo "examples: $passed passed, $failed failed"
[ "$failed" = 0 ]
