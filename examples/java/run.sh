#!/usr/bin/env bash
# Compiles the Java examples against the warren-client jar (built by
# `mvn -f bindings-java/pom.xml package`) and runs each against the broker URI given (default
# the local RabbitMQ). Exits non-zero if any example fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
URI="${1:-amqp://guest:guest@127.0.0.1:5672/%2f}"
JAR="$(ls bindings-java/target/warren-client-*.jar | grep -v -e sources -e javadoc | head -n 1)"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
javac -Xlint:all -Werror -cp "$JAR" -d "$OUT" examples/java/*.java
failed=0
for example in BatchProcessing ImageUpload DistributedLogging Rpc; do
  echo "--> $example"
  if ! timeout 60 java -cp "$JAR:$OUT" "$example" "$URI"; then
    echo "--> $example FAILED"
    failed=$((failed + 1))
  fi
done
[ "$failed" = 0 ]
