#!/usr/bin/env bash
# Side-by-side Java benchmark: JavaBench.java (written for the official client) compiled twice,
# as it is against com.rabbitmq:amqp-client and with its imports swapped to dev.warren.client
# against the warren-client jar, run on each broker given: a warm-up run of each, then ROUNDS
# rounds alternating the two clients (which goes first alternates too). Prints a markdown table
# of medians and the ratio Warren / official, and writes it to docs/benchmarks-java.md.
#
#   bash bindings-java/bench/bench.sh 'warren-broker=amqp://guest:guest@127.0.0.1:5713/%2f' \
#        'RabbitMQ=amqp://guest:guest@127.0.0.1:5672/%2f'
# Env: ROUNDS (default 5), PUBLISH_N (200000), CONSUME_N (200000), CONFIRM_N (100000).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${ROUNDS:-5}"
PUBLISH_N="${PUBLISH_N:-200000}"
CONSUME_N="${CONSUME_N:-200000}"
CONFIRM_N="${CONFIRM_N:-100000}"
[ "$#" -gt 0 ] || { echo "usage: $0 LABEL=URI..." >&2; exit 2; }

JAR="$(ls bindings-java/target/warren-client-*.jar | head -n 1)"
M2="${HOME}/.m2/repository"
OFFICIAL_CP="$M2/com/rabbitmq/amqp-client/5.38.0/amqp-client-5.38.0.jar:$(ls "$M2"/org/slf4j/slf4j-api/*/slf4j-api-*.jar | grep -v sources | sort -V | tail -n 1)"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/official" "$OUT/warren/src"
javac -cp "$OFFICIAL_CP" -d "$OUT/official" bindings-java/bench/JavaBench.java
sed 's/import com\.rabbitmq\.client\./import dev.warren.client./' bindings-java/bench/JavaBench.java \
  > "$OUT/warren/src/JavaBench.java"
javac -cp "$JAR" -d "$OUT/warren" "$OUT/warren/src/JavaBench.java"

run() { # run CLIENT URI MODE N -> rate
  local cp
  if [ "$1" = official ]; then cp="$OFFICIAL_CP:$OUT/official"; else cp="$JAR:$OUT/warren"; fi
  java -cp "$cp" JavaBench "$2" "$3" "$4" | awk '{print $2}'
}

RESULTS="$OUT/results.txt"
: > "$RESULTS"
for target in "$@"; do
  label="${target%%=*}"
  uri="${target#*=}"
  for mode in publish consume confirm; do
    case "$mode" in publish) n=$PUBLISH_N ;; consume) n=$CONSUME_N ;; confirm) n=$CONFIRM_N ;; esac
    run official "$uri" "$mode" "$n" >/dev/null
    run warren "$uri" "$mode" "$n" >/dev/null
    for round in $(seq 1 "$ROUNDS"); do
      if [ $((round % 2)) = 1 ]; then order="official warren"; else order="warren official"; fi
      for client in $order; do
        rate="$(run "$client" "$uri" "$mode" "$n")"
        echo "$label $mode $client $rate" | tee -a "$RESULTS"
      done
    done
  done
done

LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
python3 - "$RESULTS" "$ROUNDS" "$COMMIT" "$(nproc)" "$LOAD" <<'PY' | tee docs/benchmarks-java.md
import statistics, sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, mode, client, rate = line.split()
    rows[(label, mode, client)].append(float(rate))
print("# Java client benchmark: Warren vs the official client\n")
print("JavaBench.java (bindings-java/bench/) compiled against com.rabbitmq:amqp-client 5.38.0 and, with")
print("its imports swapped, against Warren's jar; 16-byte bodies; publish and consume transient,")
print("confirm = persistent to a durable queue with a window of 256 unconfirmed. Medians of %s alternating" % sys.argv[2])
print("rounds after a warm-up run of each; msg/s. Rerun: `bash bindings-java/bench/bench.sh LABEL=URI...`.")
print("Commit %s, %s cores, load average at the end %s (other work on the machine lowers both columns).\n"
      % (sys.argv[3], sys.argv[4], sys.argv[5]))
print("| broker | loop | official client | Warren | Warren / official |")
print("|---|---|---:|---:|---:|")
seen = []
for (label, mode, client) in rows:
    if (label, mode) not in seen:
        seen.append((label, mode))
for label, mode in seen:
    o = statistics.median(rows[(label, mode, "official")])
    w = statistics.median(rows[(label, mode, "warren")])
    print("| %s | %s | %.0f | %.0f | %.2fx |" % (label, mode, o, w, w / o))
PY
