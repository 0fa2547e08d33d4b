#!/usr/bin/env bash
# The Java binding (bindings-java/): `install` puts a JDK 17 and Maven on the machine (Debian
# packages; Maven fetches the project's plugins and test dependencies on first use);
# `test RABBIT_URI BROKER_URI` builds the native library once (cargo build --release -p
# warren-java), packages the jar (javac warnings are errors), runs the JUnit 5 suite through
# Surefire against RabbitMQ and then against warren-broker, and compiles and runs the Java
# examples against warren-broker. Exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

MVN=(mvn -q -B -f bindings-java/pom.xml)

install() {
  command -v javac >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null 2>&1 || apt_install maven
  # Fetch plugins and dependencies now, so the test step needs no network.
  "${MVN[@]}" -Dwarren.native.dir=/nonexistent -Denforcer.skip=true dependency:resolve dependency:resolve-plugins >/dev/null
}

# run_suite LABEL URI BROKER: the JUnit suite against one broker.
run_suite() {
  local label="$1" uri="$2" broker="$3" rc=0
  echo "==> Java tests against $label ($uri)"
  rm -rf bindings-java/target/surefire-reports
  "${MVN[@]}" test -Dwarren.test.uri="$uri" -Dwarren.test.broker="$broker" \
    -Dwarren.test.brokerCommand="$BROKER_COMMAND" || rc=$?
  summarize "$label"
  return "$rc"
}

# summarize LABEL: totals from Surefire's XML reports of the last run.
summarize() {
  local t=0 f=0 e=0 s=0 line
  for xml in bindings-java/target/surefire-reports/TEST-*.xml; do
    [ -f "$xml" ] || continue
    line="$(grep -m1 -o '<testsuite [^>]*>' "$xml")"
    t=$((t + $(attr "$line" tests))); f=$((f + $(attr "$line" failures)))
    e=$((e + $(attr "$line" errors))); s=$((s + $(attr "$line" skipped)))
  done
  echo "==> Java ($1): Tests run: $t, Failures: $f, Errors: $e, Skipped: $s"
  PASSED=$((PASSED + t - f - e - s))
  FAILED=$((FAILED + f + e))
  SKIPPED=$((SKIPPED + s))
}

# attr TAG NAME: a numeric attribute of an XML start tag (0 if absent).
attr() {
  local v
  v="$(printf '%s' "$1" | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]*' || true)"
  echo "${v:-0}"
}

run_examples() {
  local uri="$1"
  echo "==> Java examples against warren-broker ($uri)"
  bash examples/java/run.sh "$uri"
}

test_binding() {
  local rabbit="${1:-}" broker="${2:-}" rc=0
  PASSED=0 FAILED=0 SKIPPED=0
  require_cargo
  echo "==> cargo build --release -p warren-java"
  cargo build --release -p warren-java
  BROKER_COMMAND=""
  if [ -n "$broker" ]; then
    [ -x target/debug/warren-broker ] || cargo build -p warren-broker
    BROKER_COMMAND="$PWD/target/debug/warren-broker"
  fi
  echo "==> mvn package (javac -Xlint:all -Werror; the jar carries libwarren_java.so)"
  "${MVN[@]}" -DskipTests package
  unzip -l bindings-java/target/warren-client-*.jar | grep -q 'native/linux-x86_64/libwarren_java.so' \
    || { echo "==> FAILED: the jar does not carry the native library"; return 1; }
  if [ -n "$rabbit" ]; then
    run_suite RabbitMQ "$rabbit" rabbitmq || rc=1
  fi
  if [ -n "$broker" ]; then
    run_suite warren-broker "$broker" warren || rc=1
    run_examples "$broker" || { rc=1; FAILED=$((FAILED + 1)); }
  else
    echo "==> warren-broker is not running: its Java round skipped"
  fi
  echo "java: $PASSED passed, $FAILED failed, $SKIPPED skipped"
  return "$rc"
}

case "${1:-}" in
  install) install ;;
  test) shift; test_binding "$@" ;;
  *) echo "usage: $0 install | test RABBIT_URI BROKER_URI" >&2; exit 2 ;;
esac
