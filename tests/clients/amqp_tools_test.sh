#!/usr/bin/env bash
# Cross-client tests: rabbitmq-c's command-line tools (Debian's amqp-tools: amqp-declare-queue,
# amqp-publish, amqp-get, amqp-consume, amqp-delete-queue) against the broker under test.
#
# The broker is chosen by WARREN_TEST_URI (default amqp://guest:guest@127.0.0.1:5672/%2f, a
# local RabbitMQ), the same variable the Rust end-to-end suite reads:
#
#     WARREN_TEST_URI=amqp://guest:guest@127.0.0.1:5673/%2f bash tests/clients/amqp_tools_test.sh
#
# Prints one line per test and "amqp-tools: N passed, N failed"; exits non-zero if any failed.
# Every command runs under `timeout`; every queue is uniquely named and deleted at the end.
set -uo pipefail

URI="${WARREN_TEST_URI:-amqp://guest:guest@127.0.0.1:5672/%2f}"
T=10 # seconds any single command may take

for tool in amqp-declare-queue amqp-publish amqp-get amqp-consume amqp-delete-queue; do
  command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install amqp-tools" >&2; exit 2; }
done

WORK="$(mktemp -d)"
QUEUES=()
cleanup() {
  for q in "${QUEUES[@]}"; do
    timeout "$T" amqp-delete-queue -u "$URI" -q "$q" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

ERR="" # why the current test failed
fail() { ERR="$*"; return 1; }
expect_eq() { # expected actual what
  [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}
Q="" # set by new_queue_name (not $(...): the cleanup list must grow in this shell)
new_queue_name() { # prefix -> Q, a unique name, remembered for cleanup
  Q="warren-amqp-tools.$1.$$.$RANDOM$RANDOM"
  QUEUES+=("$Q")
}

declare_q() { timeout "$T" amqp-declare-queue -u "$URI" -q "$1"; }
publish() { timeout "$T" amqp-publish -u "$URI" "$@"; }
get() { timeout "$T" amqp-get -u "$URI" -q "$1"; }

test_declare_queue() {
  local q out rc
  new_queue_name declare; q="$Q"
  out="$(declare_q "$q")" || fail "amqp-declare-queue failed" || return
  expect_eq "$q" "$out" "declare-ok queue name" || return
  out="$(declare_q "$q")" || fail "redeclaring the same queue failed" || return
  expect_eq "$q" "$out" "redeclare-ok queue name" || return
  out="$(declare_q "")" || fail "declaring a server-named queue failed" || return
  [ -n "$out" ] || fail "queue.declare with an empty name returned an empty name" || return
  QUEUES+=("$out")
  [ "$out" != "$q" ] || fail "server-named queue reused the name $q"
}

test_publish_and_get() {
  local q out rc
  new_queue_name get; q="$Q"
  declare_q "$q" >/dev/null || fail "declare" || return
  get "$q" >/dev/null 2>&1
  rc=$?
  expect_eq 2 "$rc" "amqp-get exit code on an empty queue (2 = get-empty)" || return
  publish -r "$q" -b first || fail "amqp-publish" || return
  publish -r "$q" -p -C text/plain -H "x-source: amqp-tools" -b second || fail "amqp-publish with properties" || return
  publish -r "$q" -b third || fail "amqp-publish" || return
  for want in first second third; do
    out="$(get "$q")" || fail "amqp-get of '$want' failed" || return
    expect_eq "$want" "$out" "amqp-get body" || return
  done
  get "$q" >/dev/null 2>&1
  rc=$?
  expect_eq 2 "$rc" "amqp-get exit code once the queue is drained" || return
}

test_consume_count_acks() {
  local q out rc
  new_queue_name consume; q="$Q"
  declare_q "$q" >/dev/null || fail "declare" || return
  for i in 1 2 3 4 5; do publish -r "$q" -b "m$i" || fail "amqp-publish m$i" || return; done
  # amqp-consume runs the command once per delivery with the body on stdin and acks it when
  # the command succeeds; -c 5 stops after five.
  out="$(timeout "$T" amqp-consume -u "$URI" -q "$q" -c 5 -- sh -c 'cat; echo' | tr '\n' ' ')"
  rc=$?
  expect_eq 0 "$rc" "amqp-consume -c 5 exit code" || return
  expect_eq "m1 m2 m3 m4 m5 " "$out" "consumed bodies" || return
  # Acked, so nothing is left (an unacked delivery would be requeued when the consumer closed).
  get "$q" >/dev/null 2>&1
  rc=$?
  expect_eq 2 "$rc" "amqp-get after consuming and acking everything (2 = empty)"
}

test_consume_many_with_prefetch() {
  local q out rc
  new_queue_name prefetch; q="$Q"
  declare_q "$q" >/dev/null || fail "declare" || return
  # -l: each line of stdin is one message.
  seq 1 100 | publish -r "$q" -l || fail "amqp-publish -l of 100 lines" || return
  out="$(timeout 30 amqp-consume -u "$URI" -q "$q" -c 100 -p 10 -- cat | tr -d '\n' | md5sum)"
  rc=$?
  expect_eq 0 "$rc" "amqp-consume -c 100 -p 10 exit code" || return
  expect_eq "$(seq 1 100 | tr -d '\n' | md5sum)" "$out" "the 100 bodies, in order" || return
  get "$q" >/dev/null 2>&1
  rc=$?
  expect_eq 2 "$rc" "queue empty after consuming all 100"
}

test_large_body() {
  local q
  new_queue_name large; q="$Q"
  declare_q "$q" >/dev/null || fail "declare" || return
  head -c 1048576 /dev/urandom >"$WORK/large.in"
  # Without -b, amqp-publish sends all of stdin as one message (1 MiB: many body frames).
  publish -r "$q" <"$WORK/large.in" || fail "amqp-publish of 1 MiB" || return
  get "$q" >"$WORK/large.out" || fail "amqp-get of the 1 MiB message" || return
  cmp -s "$WORK/large.in" "$WORK/large.out" \
    || fail "1 MiB body changed in transit ($(wc -c <"$WORK/large.out") bytes came back)"
}

test_exchange_binding_and_exclusive_queue() {
  # amqp-consume -x -e EX -r KEY declares an exclusive server-named queue, binds it to EX with
  # KEY and consumes. Publish numbered messages to EX until it has taken three (the first ones
  # may be published before the binding exists, and are then unroutable); it must receive
  # three consecutive numbers.
  local key="warren-amqp-tools.direct.$$.$RANDOM" out pid i
  timeout 20 amqp-consume -u "$URI" -x -e amq.direct -r "$key" -c 3 -- sh -c 'cat; echo' >"$WORK/direct.out" 2>"$WORK/direct.err" &
  pid=$!
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    publish -e amq.direct -r "$key" -b "n$i" || { kill "$pid" 2>/dev/null; fail "amqp-publish to amq.direct"; return; }
    sleep 0.1
  done
  wait "$pid" || fail "amqp-consume -x -e amq.direct exited non-zero: $(head -c 300 "$WORK/direct.err")" || return
  mapfile -t got <"$WORK/direct.out"
  [ "${#got[@]}" = 3 ] || fail "expected 3 deliveries, got ${#got[@]}: ${got[*]:-none}" || return
  local first="${got[0]#n}"
  expect_eq "n$first n$((first + 1)) n$((first + 2))" "${got[*]}" "deliveries through amq.direct"
}

test_delete_queue() {
  local q out rc
  new_queue_name delete; q="$Q"
  declare_q "$q" >/dev/null || fail "declare" || return
  publish -r "$q" -b one && publish -r "$q" -b two || fail "amqp-publish" || return
  out="$(timeout "$T" amqp-delete-queue -u "$URI" -q "$q")" || fail "amqp-delete-queue" || return
  expect_eq 2 "$out" "queue.delete-ok message count" || return
  get "$q" >/dev/null 2>"$WORK/get-deleted.err"
  rc=$?
  expect_eq 1 "$rc" "amqp-get exit code on a deleted queue" || return
  grep -q 404 "$WORK/get-deleted.err" || fail "amqp-get on a deleted queue: no 404 in '$(cat "$WORK/get-deleted.err")'"
}

test_wrong_password_refused() {
  local bad rc
  # amqp://user:password@host... -> the same URI with another password.
  bad="$(printf '%s' "$URI" | sed -E 's#^(amqp://[^:@/]*):[^@]*@#\1:not-the-password@#')"
  [ "$bad" != "$URI" ] || fail "cannot rewrite the password in $URI" || return
  timeout "$T" amqp-declare-queue -u "$bad" -q "" >/dev/null 2>"$WORK/login.err"
  rc=$?
  [ "$rc" != 124 ] || fail "a login with a wrong password hung for ${T}s" || return
  [ "$rc" != 0 ] || fail "a wrong password was accepted" || return
  grep -q 'ACCESS_REFUSED' "$WORK/login.err" \
    || fail "no ACCESS_REFUSED (403) for a wrong password: '$(head -c 300 "$WORK/login.err")'"
}

passed=0
failed=0
echo "amqp-tools against $URI"
for t in test_declare_queue test_publish_and_get test_consume_count_acks \
  test_consume_many_with_prefetch test_large_body test_exchange_binding_and_exclusive_queue \
  test_delete_queue test_wrong_password_refused; do
  ERR=""
  start=$SECONDS
  if "$t" && [ -z "$ERR" ]; then
    passed=$((passed + 1))
    echo "ok   ${t#test_} ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    echo "FAIL ${t#test_} ($((SECONDS - start)) s): ${ERR:-exited non-zero}"
  fi
done
echo "amqp-tools: $passed passed, $failed failed"
[ "$failed" = 0 ]
