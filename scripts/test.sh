#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what is missing, then
#   1. against RabbitMQ (started here unless one already listens on 5672): cargo fmt --check,
#      clippy, and every Rust test (unit, property, state-machine, end-to-end, blocking facade,
#      examples), the broker tests' RabbitMQ variants included (the oracle variables below
#      point them at that RabbitMQ; a variant left skipped fails the part);
#   2. against Warren's reference broker (built and started here on a free loopback port from
#      5673, its data in a fresh target/warren-data.PORT): the same end-to-end suite again,
#      selected by WARREN_TEST_URI alone; then the crash test (broker/tests/crash.rs: SIGKILL
#      and restart, WARREN_CRASH_CYCLES times, default 20);
#   3. real third-party clients — pika (pytest), php-amqplib and rabbitmq-c's amqp-tools
#      (tests/clients/) — against RabbitMQ first, which checks the tests themselves, then
#      against the reference broker;
#   4. the client's automatic recovery against RabbitMQ (rabbitmqctl stop_app/start_app and
#      close_connection; as root) and, in a three-node RabbitMQ cluster started and stopped
#      here (scripts/rabbitmq-cluster.sh), failover when the client's node stops
#      (WARREN_SKIP_CLUSTER=1 leaves that out). The recovery tests against warren-broker
#      (SIGKILL, network cut) run with the rest in part 1.
# Every part runs even when an earlier one failed; stops every server it started; prints each
# runner's summary and a table of parts with timings; exits non-zero if any part failed.
#
# WARREN_TEST_URI, if set, replaces RabbitMQ as the broker of parts 1 and 3's first round.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

require_cargo
cleanup() {
  stop_warren_broker
  # The cluster part stops its nodes itself; this is for an interrupted run.
  if bash scripts/rabbitmq-cluster.sh status 2>/dev/null | grep -q running; then
    bash scripts/rabbitmq-cluster.sh stop >/dev/null 2>&1 || true
  fi
  remove_security_fixture
  stop_rabbitmq
  [ -z "${LOGS:-}" ] || rm -rf "$LOGS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

total_start=$SECONDS
PARTS=()   # "PASS|FAIL  seconds  name", in order
failed=0

LOGS="$(mktemp -d)"

# The runner's own summary from a part's output: cargo test's "test result" lines added up, or
# the last "N passed" line (pytest, the PHP and amqp-tools runners).
runner_summary() {
  if grep -q '^test result:' "$1"; then
    grep '^test result:' "$1" | awk '{ for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1); if ($i ~ /^ignored;?$/) g += $(i-1) } }
      END { printf "%d passed, %d failed, %d ignored (cargo test, %d binaries)", p, f, g, NR }'
  elif grep -qE '^OK \([0-9]+ tests?,' "$1" && ! grep -qE '^Tests: [0-9]+, ' "$1"; then
    # PHPUnit runs that all passed: "OK (N tests, M assertions)", once per suite and broker.
    grep -E '^OK \([0-9]+ tests?,' "$1" | awk '{ sub(/^OK \(/, ""); p += $1 }
      END { printf "%d passed, 0 failed (PHPUnit, %d runs)", p, NR }'
  else
    { grep -E '[0-9]+ (passed|failed)' "$1" || true; } | tail -n 1 | sed -E 's/^=+ //; s/ =+$//'
  fi
}

# part NAME COMMAND...: runs one part, records its outcome, time and runner summary; never
# stops the script.
part() {
  local name="$1" start=$SECONDS rc=0 log="$LOGS/${#PARTS[@]}.log" summary
  shift
  echo
  echo "==> $name"
  "$@" 2>&1 | tee "$log" || rc=$?
  local took=$((SECONDS - start))
  summary="$(runner_summary "$log")"
  if [ "$rc" = 0 ]; then
    PARTS+=("$(printf 'PASS %5ss  %s%s' "$took" "$name" "${summary:+  [$summary]}")")
  else
    PARTS+=("$(printf 'FAIL %5ss  %s (exit %s)%s' "$took" "$name" "$rc" "${summary:+  [$summary]}")")
    failed=$((failed + 1))
    echo "==> FAILED: $name (exit $rc)"
  fi
}

start_rabbitmq
export WARREN_TEST_URI="${WARREN_TEST_URI:-amqp://guest:guest@127.0.0.1:5672/%2f}"
RABBIT_URI="$WARREN_TEST_URI"
RABBIT_LABEL=RabbitMQ
[ "$RABBIT_URI" = "amqp://guest:guest@127.0.0.1:5672/%2f" ] || RABBIT_LABEL="WARREN_TEST_URI"

# The broker's tests that also run against RabbitMQ as the oracle (their `<case>::rabbitmq`
# variants; see broker/tests/) find it through these variables. Without one, a variant passes
# without checking anything and its test binary prints a "RabbitMQ variants skipped" note.
ORACLE_VARS=(
  WARREN_ORACLE_URI="amqp://guest:guest@127.0.0.1:5672/%2f"
  WARREN_QUEUE_FEATURES_URI="amqp://guest:guest@127.0.0.1:5672/%2f"
  WARREN_RAW_ORACLE="127.0.0.1:5672"
  WARREN_SECURITY_ORACLE="127.0.0.1:5672"
)

# cargo test --workspace with the oracle variables set; fails (after running everything) if a
# test binary still reports skipped RabbitMQ variants, i.e. a variable missing above.
cargo_test_with_oracles() {
  local out="$LOGS/cargo-test-with-oracles.log" rc=0
  env "${ORACLE_VARS[@]}" cargo test --workspace --no-fail-fast 2>&1 | tee "$out" || rc=$?
  if grep -q "RabbitMQ variants skipped" "$out"; then
    echo "==> FAILED: RabbitMQ variants were skipped (the notes above name the variable)"
    rc=1
  fi
  return "$rc"
}

# The language bindings (bindings-*/) each have a script scripts/bindings/<lang>.sh:
# `install` installs what building the binding needs (run before clippy, which builds every
# workspace member), `test RABBIT_URI BROKER_URI` builds it once and runs its tests against
# both brokers (BROKER_URI empty when warren-broker could not start).
BINDINGS=()
for script in scripts/bindings/*.sh; do
  [ -f "$script" ] && BINDINGS+=("$script")
done
for script in "${BINDINGS[@]}"; do
  part "install what the $(basename "$script" .sh) binding needs" bash "$script" install
done

part "cargo fmt --check" cargo fmt --all -- --check
part "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
# The RabbitMQ variant of broker/tests/security.rs needs a vhost and a user of its own.
add_security_fixture || echo "==> could not set up vhost wtest and user app on RabbitMQ; the security oracle test will fail"
part "cargo test --workspace ($RABBIT_LABEL: $RABBIT_URI; oracle variants on RabbitMQ at 127.0.0.1:5672)" \
  cargo_test_with_oracles
remove_security_fixture
# --all-targets: the same feature set as `cargo test --workspace`, so this reuses its artifacts
# (plain `cargo build --workspace` resolves dev-dependency features differently and recompiles
# most dependencies, about 3 minutes on 2 cores).
part "cargo build --workspace --all-targets" cargo build --workspace --all-targets
built="${PARTS[-1]:0:4}"

BROKER_URI=""
if [ "$built" != PASS ]; then
  PARTS+=("$(printf 'FAIL %5ss  %s' 0 "start warren-broker (not tried: the build failed)")")
  failed=$((failed + 1))
elif start_warren_broker 5673; then
  BROKER_URI="$WARREN_BROKER_URI"
else
  PARTS+=("$(printf 'FAIL %5ss  %s' 0 "start warren-broker")")
  failed=$((failed + 1))
fi

# The shared end-to-end suite (core/tests/e2e) again; WARREN_TEST_URI alone selects the broker.
# `--workspace --test e2e` runs exactly warren-core's e2e target, like `-p warren-core --test
# e2e`, but with the workspace's feature set, so the test binary built above is reused.
if [ -n "$BROKER_URI" ]; then
  part "e2e suite (warren-broker: $BROKER_URI)" \
    env WARREN_TEST_URI="$BROKER_URI" timeout 900 cargo test --workspace --no-fail-fast --test e2e
fi

# Crash test: the real broker binary on a temporary data dir, SIGKILLed at random moments and
# restarted while confirm-mode publishers and a consumer run; no confirmed message may be
# missing. Prints its counts (published, confirmed, recovered, duplicates).
if [ "$built" = PASS ]; then
  part "crash test (warren-broker, ${WARREN_CRASH_CYCLES:-20} SIGKILL cycles)" \
    env WARREN_CRASH_CYCLES="${WARREN_CRASH_CYCLES:-20}" WARREN_CRASH_SECONDS=240 \
    timeout 600 cargo test --workspace --no-fail-fast --test crash -- --nocapture
fi

clients_ready=1
part "install third-party clients (php-amqplib, amqp-tools, pika, pytest)" install_client_deps
[ "${PARTS[-1]:0:4}" = PASS ] || clients_ready=0

if [ "$clients_ready" = 1 ]; then
  targets=("$RABBIT_LABEL|$RABBIT_URI")
  [ -n "$BROKER_URI" ] && targets+=("warren-broker|$BROKER_URI")
  for target in "${targets[@]}"; do
    label="${target%%|*}"
    uri="${target#*|}"
    part "pika ($label)" env WARREN_TEST_URI="$uri" \
      timeout 300 python3 -m pytest -q -p no:cacheprovider tests/clients/python
    part "php-amqplib ($label)" env WARREN_TEST_URI="$uri" \
      timeout 300 php tests/clients/php/amqplib_test.php
    part "amqp-tools ($label)" env WARREN_TEST_URI="$uri" \
      timeout 300 bash tests/clients/amqp_tools_test.sh
  done
fi

for script in "${BINDINGS[@]}"; do
  part "$(basename "$script" .sh) binding (RabbitMQ${BROKER_URI:+ and warren-broker})" \
    bash "$script" test "$RABBIT_URI" "$BROKER_URI"
done

# Automatic recovery against RabbitMQ itself (core/tests/recovery/rabbitmq.rs, ignored in plain
# `cargo test`): `rabbitmqctl stop_app`/`start_app` and `close_connection` on the RabbitMQ
# started above. Last among the RabbitMQ parts, since it restarts RabbitMQ's application.
if [ "$RABBIT_LABEL" = RabbitMQ ] && [ "$(id -u)" = 0 ]; then
  part "recovery on RabbitMQ (stop_app/start_app, close_connection)" \
    timeout 600 cargo test --workspace --no-fail-fast --test recovery -- --ignored --nocapture rabbitmq_
else
  PARTS+=("$(printf 'SKIP %5ss  %s' 0 "recovery on RabbitMQ (needs the local RabbitMQ and root for rabbitmqctl)")")
fi

# Failover in a three-node RabbitMQ cluster on this machine (scripts/rabbitmq-cluster.sh; nodes
# on 5681-5683), short form: one node stopped under confirmed publishing and consuming on a
# quorum queue. WARREN_CLUSTER_CYCLES=N stops N nodes in turn.
cluster_failover() {
  local rc=0 uris
  bash scripts/rabbitmq-cluster.sh start || return 1
  uris="$(bash scripts/rabbitmq-cluster.sh uris)" || rc=1
  if [ "$rc" = 0 ]; then
    env WARREN_CLUSTER_URIS="$uris" WARREN_CLUSTER_CYCLES="${WARREN_CLUSTER_CYCLES:-1}" \
      timeout 600 cargo test --workspace --no-fail-fast --test recovery -- --ignored --nocapture cluster_ \
      || rc=$?
  fi
  bash scripts/rabbitmq-cluster.sh stop || rc=1
  return "$rc"
}
if [ "${WARREN_SKIP_CLUSTER:-0}" = 1 ]; then
  PARTS+=("$(printf 'SKIP %5ss  %s' 0 "RabbitMQ cluster failover (WARREN_SKIP_CLUSTER=1)")")
else
  part "RabbitMQ cluster failover (3 nodes, quorum queue, ${WARREN_CLUSTER_CYCLES:-1} node stopped)" \
    cluster_failover
fi

if [ -n "$BROKER_URI" ] && ! kill -0 "$WARREN_BROKER_PID" 2>/dev/null; then
  PARTS+=("$(printf 'FAIL %5ss  %s' 0 "warren-broker still running at the end (it died; see $WARREN_BROKER_LOG)")")
  failed=$((failed + 1))
fi
# Stop the servers now, so the summary is the last thing printed (the EXIT trap then has
# nothing left to do).
stop_warren_broker
stop_rabbitmq

echo
echo "==> summary ($((SECONDS - total_start)) s in all)"
printf '    %s\n' "${PARTS[@]}"
if [ "$failed" = 0 ]; then
  echo "==> all parts passed"
else
  echo "==> FAILED: $failed part(s) (see above)"
  [ -n "$BROKER_URI" ] && echo "==> warren-broker's log: $WARREN_BROKER_LOG"
fi
echo "parts: $((${#PARTS[@]} - failed)) passed, $failed failed"
[ "$failed" = 0 ]
