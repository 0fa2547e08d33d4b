#!/usr/bin/env bash
# The side-by-side benchmark: warren-broker against RabbitMQ on this machine, same load
# generator (warren-perf), same scenarios, same run. Installs what is missing (RabbitMQ,
# matplotlib), builds release binaries, starts both brokers, then:
#   1. throughput and latency: the scenario list against each broker, alternating A/B over rounds;
#   2. the idle cost of 1,000 connections (brokers freshly restarted);
#   3. resident memory with 1,000,000 persistent 16-byte messages queued (freshly restarted);
#   4. Warren's Rust client against lapin, both against the reference broker;
# and regenerates docs/benchmarks.md and docs/benchmarks/*.svg from the results (target/bench).
#
# Usage: ./scripts/bench.sh [--quick] [--rounds N] [--duration SECONDS] [--reuse-rabbitmq]
#   --quick            one round of 3-second runs and 200,000 queued messages: a smoke run,
#                      reported in target/bench/report/ (docs/ is left alone)
#   --reuse-rabbitmq   use a RabbitMQ already listening on 127.0.0.1:5672 instead of starting
#                      (and restarting) one; its memory numbers then include its history
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Everything is in main, so bash has read the whole file before it runs (editing the script
# during a 20-minute run would otherwise change what runs).
main() {

  ROUNDS=3 DURATION=10 LATENCY_DURATION=10 QUEUED=1000000 HOLD=10 REUSE=0 QUICK=0
  CLIENT_ROUNDS=3
  ARGS="$*"
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) QUICK=1 ROUNDS=1 DURATION=3 LATENCY_DURATION=5 QUEUED=200000 HOLD=3 CLIENT_ROUNDS=1 ;;
      --rounds) ROUNDS="$2"; shift ;;
      --duration) DURATION="$2"; shift ;;
      --reuse-rabbitmq) REUSE=1 ;;
      -h|--help) sed -n '2,17p' "scripts/bench.sh"; exit 0 ;;
      *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
  done

  require_cargo
  apt_install rabbitmq-server
  if ! python3 -c 'import matplotlib' 2>/dev/null; then
    echo "==> installing matplotlib"
    python3 -m pip install -q --disable-pip-version-check matplotlib || apt_install python3-matplotlib
  fi
  # 1,000 connections need more descriptors than the usual 1,024 (the brokers inherit this).
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

  echo "==> cargo build --release --workspace"
  cargo build --release --workspace
  cargo bench --workspace --bench client_vs_lapin --no-run
  export WARREN_BROKER_BIN=target/release/warren-broker
  RESULTS=target/bench
  rm -rf "$RESULTS"
  mkdir -p "$RESULTS"
  printf '{"line": "./scripts/bench.sh%s", "quick": %s, "commit": "%s"}\n' "${ARGS:+ $ARGS}" \
    "$([ $QUICK = 1 ] && echo true || echo false)" "$(git rev-parse --short HEAD 2>/dev/null)" \
    >"$RESULTS/command.json"

  cleanup() {
    stop_warren_broker
    stop_rabbitmq
  }
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  RABBIT_URI="amqp://guest:guest@127.0.0.1:5672/%2f"
  if port_open 5672 && [ "$REUSE" = 0 ]; then
    echo "something already listens on 127.0.0.1:5672; the benchmark starts and restarts its own" >&2
    echo "RabbitMQ there. Stop it (rabbitmqctl shutdown) or pass --reuse-rabbitmq." >&2
    exit 1
  fi

  # fresh_brokers: (re)starts both brokers with nothing in them.
  fresh_brokers() {
    stop_warren_broker
    if [ "$REUSE" = 0 ]; then stop_rabbitmq; fi
    start_rabbitmq
    start_warren_broker 5673
    sleep 2 # let both settle before measuring memory
  }

  failed=()
  fresh_brokers
  echo "==> throughput and latency: $ROUNDS round(s), $DURATION s per run"
  python3 scripts/bench.py throughput --warren "$WARREN_BROKER_URI" --rabbitmq "$RABBIT_URI" \
    --rounds "$ROUNDS" --duration "$DURATION" --latency-duration "$LATENCY_DURATION" \
    --out "$RESULTS/throughput.json" || failed+=(throughput)

  echo "==> idle cost of 1,000 connections (fresh brokers)"
  fresh_brokers
  python3 scripts/bench.py connections --broker warren --uri "$WARREN_BROKER_URI" \
    --pid "$WARREN_BROKER_PID" --out "$RESULTS/connections.json" || failed+=(connections-warren)
  python3 scripts/bench.py connections --broker rabbitmq --uri "$RABBIT_URI" \
    --pid "$(rabbitmq_pid)" --out "$RESULTS/connections.json" || failed+=(connections-rabbitmq)

  echo "==> resident memory with $QUEUED persistent messages queued (fresh brokers)"
  fresh_brokers
  python3 scripts/bench.py memory --broker warren --uri "$WARREN_BROKER_URI" --messages "$QUEUED" \
    --hold "$HOLD" --pid "$WARREN_BROKER_PID" --out "$RESULTS/memory.json" || failed+=(memory-warren)
  python3 scripts/bench.py memory --broker rabbitmq --uri "$RABBIT_URI" --messages "$QUEUED" \
    --hold "$HOLD" --pid "$(rabbitmq_pid)" --out "$RESULTS/memory.json" || failed+=(memory-rabbitmq)

  echo "==> client comparison: Warren's client against lapin, on the reference broker"
  fresh_brokers
  WARREN_BENCH_URI="$WARREN_BROKER_URI" WARREN_BENCH_JSON="$PWD/$RESULTS/clients.json" \
    WARREN_BENCH_ROUNDS="$CLIENT_ROUNDS" \
    cargo bench --workspace --bench client_vs_lapin || failed+=(clients)

  # A --quick smoke run does not replace the published report.
  DOC=docs/benchmarks.md PLOTS=docs/benchmarks
  if [ "$QUICK" = 1 ]; then DOC="$RESULTS/report/benchmarks.md" PLOTS="$RESULTS/report/benchmarks"; fi
  mkdir -p "$(dirname "$DOC")"
  python3 scripts/bench.py report --results "$RESULTS" --doc "$DOC" --plots "$PLOTS" \
    || failed+=(report)
  if [ ${#failed[@]} -gt 0 ]; then
    echo "==> FAILED: ${failed[*]} (partial results are in the report)"
    exit 1
  fi
  echo "==> done: $DOC"
}

main "$@"
