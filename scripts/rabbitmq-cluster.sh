#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this one machine, for the client's failover tests.
#
#   ./scripts/rabbitmq-cluster.sh start          start (or re-create) the cluster, print its URIs
#   ./scripts/rabbitmq-cluster.sh stop           stop all three nodes, remove their data
#   ./scripts/rabbitmq-cluster.sh stop-node N    stop_app on node N (1..3), wait until it is down
#   ./scripts/rabbitmq-cluster.sh start-node N   start_app on node N, wait until it runs in the cluster
#   ./scripts/rabbitmq-cluster.sh status         which nodes run, and cluster_status
#   ./scripts/rabbitmq-cluster.sh uris           amqp://guest:guest@127.0.0.1:5681/%2f ... (one line)
#   ./scripts/rabbitmq-cluster.sh selftest       start if needed, check failover of a quorum queue by hand
#
# Nodes warren-c1@localhost .. warren-c3@localhost listen for AMQP on 127.0.0.1:5681..5683 and for
# Erlang distribution on 127.0.0.1:25681..25683; nothing else (no plugins, so no management
# listener). Each has its own configuration, data and logs under WARREN_CLUSTER_DIR (default
# target/rabbitmq-cluster; a relative path is taken from the repository's root, whatever the
# current directory, so that a test run by cargo finds the same cluster), and they share an Erlang cookie of their own in
# WARREN_CLUSTER_DIR/home/.erlang.cookie (HOME is set to that directory for the nodes and for
# rabbitmqctl), so a standalone RabbitMQ on 5672 is neither touched nor reachable from them.
# The nodes run as the user who runs this script (root in CI); only the installation of
# rabbitmq-server needs root (sudo on a developer machine). Run every subcommand as the same user.
set -euo pipefail

SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$SELF")/.."
. scripts/lib.sh

RMQ_BIN=/usr/lib/rabbitmq/bin # the real scripts: /usr/sbin's wrappers su to `rabbitmq` and reset HOME
NODES=(1 2 3)
START_TIMEOUT=90 # seconds for one node's VM and app to come up
CTL_TIMEOUT=60   # seconds for any one rabbitmqctl call

node_name() { echo "warren-c$1@localhost"; }
amqp_port() { echo $((5680 + $1)); }
dist_port() { echo $((25680 + $1)); }
node_uri() { echo "amqp://guest:guest@127.0.0.1:$(amqp_port "$1")/%2f"; }
all_uris() {
  local n out=()
  for n in "${NODES[@]}"; do out+=("$(node_uri "$n")"); done
  echo "${out[*]}"
}

log() { echo "==> $(date +%T.%3N) $*" >&2; }
die() {
  echo "rabbitmq-cluster: $*" >&2
  exit 1
}

# --- the cluster directory ---------------------------------------------------------------

cluster_dir_setup() {
  local dir="${WARREN_CLUSTER_DIR:-target/rabbitmq-cluster}"
  case "$dir" in
    *[[:space:]]*) die "WARREN_CLUSTER_DIR must not contain whitespace: '$dir'" ;;
  esac
  mkdir -p "$dir"
  CLUSTER_DIR="$(cd "$dir" && pwd)"
  # Refuse to take over (and later wipe) a directory this script did not make.
  if [ ! -e "$CLUSTER_DIR/.warren-cluster" ]; then
    if [ -n "$(ls -A "$CLUSTER_DIR")" ]; then
      die "$CLUSTER_DIR is not empty and was not made by this script; choose another WARREN_CLUSTER_DIR"
    fi
    echo "made by scripts/rabbitmq-cluster.sh; its contents are removed on start and stop" \
      >"$CLUSTER_DIR/.warren-cluster"
  fi
  if [ "$(stat -c %u "$CLUSTER_DIR")" != "$(id -u)" ]; then
    die "$CLUSTER_DIR belongs to user $(stat -c %U "$CLUSTER_DIR"): run this script as that user"
  fi
  CLUSTER_HOME="$CLUSTER_DIR/home"
}

# start, stop and selftest take the directory's lock, so that two of them never overlap (stop-node,
# start-node, status and uris do not: selftest runs stop-node and start-node as commands).
lock_cluster() {
  exec 9>"$CLUSTER_DIR/.lock"
  flock -w 300 9 || die "another start, stop or selftest has held $CLUSTER_DIR/.lock for 5 minutes"
}

node_dir() { echo "$CLUSTER_DIR/c$1"; }

# Has the cluster been made since the last stop? (Without the cookie, rabbitmqctl spends ten
# seconds failing to make one.)
have_cluster() { [ -e "$CLUSTER_HOME/.erlang.cookie" ]; }
need_cluster() { have_cluster || die "there is no cluster in $CLUSTER_DIR: run '$SELF start'"; }

# The marker on each node's Erlang command line (an unused user flag followed by the node's
# directory): it tells this cluster's processes from every other Erlang VM, e.g. a standalone
# RabbitMQ, and from another checkout's cluster.
MARKER_FLAG=-warren_cluster_node

# Process ids of node N's VM (anything carrying its marker), of this user only.
node_pids() {
  local dir f pid
  dir="$(node_dir "$1")"
  # Candidates, in one pass over /proc: processes with an argument equal to the directory.
  grep -lsazxF -- "$dir" /proc/[0-9]*/cmdline 2>/dev/null | while read -r f; do
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    [ -O "/proc/$pid" ] || continue
    # ... preceded by the flag.
    if tr '\0' '\n' 2>/dev/null <"$f" | grep -A1 -xF -- "$MARKER_FLAG" | grep -qxF -- "$dir"; then
      echo "$pid"
    fi
  done
}

# --- rabbitmqctl -------------------------------------------------------------------------

# ctl N ARGS...: rabbitmqctl against node N with the cluster's cookie, bounded in time.
ctl() {
  local n=$1
  shift
  # A CLI that crashes writes erl_crash.dump into ERL_CRASH_DUMP, else into the current directory.
  HOME="$CLUSTER_HOME" RABBITMQ_CONF_ENV_FILE="$CLUSTER_DIR/rabbitmq-env.conf" \
    ERL_CRASH_DUMP="$CLUSTER_DIR/rabbitmqctl_erl_crash.dump" \
    timeout -k 5 "$CTL_TIMEOUT" "$RMQ_BIN/rabbitmqctl" -q -n "$(node_name "$n")" "$@"
}

# Is node N's VM reachable (its app may be stopped)?
vm_up() { ctl "$1" eval 'ok.' >/dev/null 2>&1; }

# Is node N's rabbit app running?
app_running() { ctl "$1" eval 'rabbit:is_running().' 2>/dev/null | grep -qx true; }

# The running nodes of the cluster, as node N sees them (one per line, sorted).
running_nodes_seen_by() {
  ctl "$1" eval '[io:format("~s~n", [N]) || N <- lists:sort(rabbit_nodes:all_running())], ok.' \
    2>/dev/null | grep -E '^warren-c[0-9]+@' || true
}

# The cluster's running nodes as the first node with a running app sees them.
running_nodes() {
  local n
  for n in "${NODES[@]}"; do
    if app_running "$n"; then
      running_nodes_seen_by "$n"
      return 0
    fi
  done
}

# Do all three nodes run, as node 1 sees it? (A node whose app is stopped still answers, without
# itself in the list.)
cluster_healthy() {
  have_cluster || return 1
  [ "$(running_nodes_seen_by 1 | grep -c .)" = "${#NODES[@]}" ]
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every half second.
wait_for() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do
    "$@" && return 0
    sleep 0.5
  done
  echo "rabbitmq-cluster: timed out after ${secs} s waiting for $what" >&2
  return 1
}

# --- one node ----------------------------------------------------------------------------

write_node_config() {
  local n=$1 d
  d="$(node_dir "$n")"
  mkdir -p "$d/mnesia" "$d/log"
  cat >"$d/rabbitmq.conf" <<EOF
# Written by scripts/rabbitmq-cluster.sh for $(node_name "$n").
listeners.tcp.default = 127.0.0.1:$(amqp_port "$n")
loopback_users.guest = true
log.console = false
log.file.level = info
EOF
  # No plugins: no management (15672), Prometheus or other listeners.
  echo '[].' >"$d/enabled_plugins"
}

# Starts node N's VM in the background (its app boots with it). Does not wait.
launch_node() {
  local n=$1 d
  d="$(node_dir "$n")"
  (
    exec 9>&- # not the lock: the node outlives this script
    # The hard limit, as lib.sh does for the standalone node: the soft one may be 1,024.
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    cd "$d"
    exec env \
      HOME="$CLUSTER_HOME" \
      RABBITMQ_CONF_ENV_FILE="$CLUSTER_DIR/rabbitmq-env.conf" \
      RABBITMQ_NODENAME="$(node_name "$n")" \
      RABBITMQ_USE_LONGNAME=false \
      RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
      RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
      RABBITMQ_DIST_PORT="$(dist_port "$n")" \
      RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
      RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
      RABBITMQ_MNESIA_BASE="$d/mnesia" \
      RABBITMQ_LOG_BASE="$d/log" \
      RABBITMQ_PID_FILE="$d/rabbitmq.pid" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} $MARKER_FLAG $d" \
      setsid "$RMQ_BIN/rabbitmq-server" # its own session: a Ctrl-C in this terminal stays here
  ) >"$d/log/startup.log" 2>&1 </dev/null &
}

# Waits until node N's app runs and its AMQP port accepts connections; on failure shows its logs.
await_node() {
  local n=$1 i d
  d="$(node_dir "$n")"
  for ((i = 0; i < START_TIMEOUT * 2; i++)); do
    # The port first: it opens at the end of the boot, and polling it costs nothing, while
    # each rabbitmqctl call takes a CPU-second from the booting nodes.
    if port_open "$(amqp_port "$n")" && app_running "$n"; then
      return 0
    fi
    if [ -z "$(node_pids "$n")" ] && [ "$i" -gt 4 ]; then
      echo "rabbitmq-cluster: $(node_name "$n") exited while starting; $d/log/startup.log:" >&2
      tail -n 30 "$d/log/startup.log" >&2 || true
      tail -n 30 "$d/log/$(node_name "$n").log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
  echo "rabbitmq-cluster: $(node_name "$n") did not start within ${START_TIMEOUT} s; its log:" >&2
  tail -n 30 "$d/log/$(node_name "$n").log" >&2 2>/dev/null || true
  return 1
}

# Stops node N's VM: rabbitmqctl shutdown (waits for the OS process), then SIGTERM and SIGKILL
# to whatever of it is left, bounded.
stop_vm() {
  local n=$1 i pids=()
  [ -n "$(node_pids "$n")" ] || return 0
  CTL_TIMEOUT=30 ctl "$n" shutdown >/dev/null 2>&1 || true
  for ((i = 0; i < 20; i++)); do
    [ -n "$(node_pids "$n")" ] || return 0
    sleep 0.5
  done
  mapfile -t pids < <(node_pids "$n")
  [ ${#pids[@]} -gt 0 ] || return 0
  log "$(node_name "$n") still runs after shutdown; SIGTERM to ${pids[*]}"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    [ -n "$(node_pids "$n")" ] || return 0
    sleep 0.5
  done
  mapfile -t pids < <(node_pids "$n")
  [ ${#pids[@]} -gt 0 ] || return 0
  log "$(node_name "$n") ignored SIGTERM for 10 s; SIGKILL to ${pids[*]}"
  kill -KILL "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 10; i++)); do
    [ -n "$(node_pids "$n")" ] || return 0
    sleep 0.5
  done
  echo "rabbitmq-cluster: could not stop $(node_name "$n") (pids $(node_pids "$n" | tr '\n' ' '))" >&2
  return 1
}

# stop_all_vms WORDS: stops the VMs of all nodes in parallel (each stop_vm is bounded, so this
# is too), logging "WORDS <node>" for each that runs.
stop_all_vms() {
  local n p failed=0 pids=()
  for n in "${NODES[@]}"; do
    if [ -n "$(node_pids "$n")" ]; then
      log "$1 $(node_name "$n")"
      stop_vm "$n" &
      pids+=($!)
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  return "$failed"
}

# epmd (port 4369) is shared with every Erlang node on the machine: stop it only when no node at
# all is registered with it any more.
maybe_kill_epmd() {
  local names
  command -v epmd >/dev/null 2>&1 || return 0
  names="$(timeout 10 epmd -names 2>/dev/null)" || return 0 # not running
  if echo "$names" | grep -q '^name '; then
    log "epmd stays: other Erlang nodes are registered ($(echo "$names" | awk '/^name /{print $2}' | tr '\n' ' '))"
  else
    timeout 10 epmd -kill >/dev/null 2>&1 || true
  fi
}

# --- subcommands -------------------------------------------------------------------------

cmd_start() {
  local n port t0 busy=()
  t0=$(date +%s.%N)
  cluster_dir_setup
  lock_cluster
  if have_cluster; then
    if cluster_healthy; then
      log "the cluster is already running"
      all_uris
      return 0
    fi
    # All three VMs up but an app stopped (stop-node): start_app brings it back, queues and all.
    if vm_up 1 && vm_up 2 && vm_up 3; then
      for n in "${NODES[@]}"; do
        if ! app_running "$n"; then
          log "start_app on $(node_name "$n")"
          ctl "$n" start_app >/dev/null || true
        fi
      done
      if wait_for 30 "three running nodes in cluster_status" cluster_healthy; then
        all_uris
        return 0
      fi
      log "the cluster does not come back: making a new one"
    fi
  fi
  apt_install rabbitmq-server
  [ -x "$RMQ_BIN/rabbitmq-server" ] || die "$RMQ_BIN/rabbitmq-server is missing after installing rabbitmq-server"

  # Whatever a previous run left behind: its nodes, then its files.
  stop_all_vms "stopping a leftover" || die "could not stop the leftover nodes"
  for n in "${NODES[@]}"; do
    for port in "$(amqp_port "$n")" "$(dist_port "$n")"; do
      if port_open "$port"; then busy+=("$port"); fi
    done
  done
  [ ${#busy[@]} -eq 0 ] || die "ports ${busy[*]} are taken by something else on 127.0.0.1"
  rm -rf "$CLUSTER_HOME" "$CLUSTER_DIR"/c[0-9]* "$CLUSTER_DIR/rabbitmq-env.conf" \
    "$CLUSTER_DIR/rabbitmqctl_erl_crash.dump"

  # One cookie for the three nodes and rabbitmqctl, unlike any other node's.
  mkdir -p "$CLUSTER_HOME"
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -dc '0-9a-f' | tr 'a-f' 'A-F' \
    >"$CLUSTER_HOME/.erlang.cookie")
  chmod 400 "$CLUSTER_HOME/.erlang.cookie"
  # rabbitmq-env reads /etc/rabbitmq/rabbitmq-env.conf unless told another file: an empty one.
  echo "# empty: the nodes of scripts/rabbitmq-cluster.sh ignore /etc/rabbitmq/rabbitmq-env.conf" \
    >"$CLUSTER_DIR/rabbitmq-env.conf"

  log "starting $(for n in "${NODES[@]}"; do printf '%s ' "$(node_name "$n")"; done)(data and logs in $CLUSTER_DIR)"
  for n in "${NODES[@]}"; do
    write_node_config "$n"
    launch_node "$n"
  done
  for n in "${NODES[@]}"; do
    await_node "$n" || { cmd_stop_quiet; die "the cluster did not start"; }
  done

  for n in "${NODES[@]:1}"; do
    log "joining $(node_name "$n") to $(node_name 1)"
    # rabbitmqctl's own log lines (3.10 logs errors about connection tracking tables while a
    # node joins, harmless) go to a file, shown if the join fails.
    {
      ctl "$n" stop_app &&
        ctl "$n" join_cluster "$(node_name 1)" &&
        ctl "$n" start_app
    } >"$(node_dir "$n")/log/join.log" 2>&1 || {
      cat "$(node_dir "$n")/log/join.log" >&2
      cmd_stop_quiet
      die "$(node_name "$n") could not join $(node_name 1)"
    }
  done
  wait_for 60 "three running nodes in cluster_status" cluster_healthy ||
    { cmd_stop_quiet; die "the cluster did not form"; }
  log "the cluster runs: $(running_nodes_seen_by 1 | tr '\n' ' ')($(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN{printf "%.1f", t1 - t0}') s)"
  all_uris
}

cmd_stop_quiet() { cmd_stop >/dev/null 2>&1 || true; }

cmd_stop() {
  local n failed=0
  cluster_dir_setup
  lock_cluster
  stop_all_vms "stopping" || failed=1
  maybe_kill_epmd
  [ "$failed" = 0 ] || die "some nodes could not be stopped"
  # Data goes (every start makes a fresh cluster); logs stay for a look after a failed test.
  for n in "${NODES[@]}"; do rm -rf "$(node_dir "$n")/mnesia"; done
  rm -rf "$CLUSTER_HOME"
  log "the cluster is stopped (logs: $CLUSTER_DIR/c*/log)"
}

node_arg() {
  case "${1:-}" in
    1 | 2 | 3) ;;
    *) die "expected a node number 1..3, got '${1:-}'" ;;
  esac
}

cmd_stop_node() {
  local n=$1 t0
  node_arg "$n"
  cluster_dir_setup
  need_cluster
  t0=$(date +%s.%N)
  log "stop_app on $(node_name "$n")"
  # stop_app returns once the app has stopped (its connections closed); the port must be shut too.
  ctl "$n" stop_app >/dev/null ||
    die "stop_app on $(node_name "$n") failed (is the cluster running? see 'status')"
  wait_for 30 "port $(amqp_port "$n") to close" eval "! port_open $(amqp_port "$n")" || exit 1
  log "$(node_name "$n") is down (its VM stays, for start-node) ($(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN{printf "%.1f", t1 - t0}') s)"
}

node_in_cluster() {
  local n=$1 other
  for other in "${NODES[@]}"; do
    [ "$other" = "$n" ] && continue
    if running_nodes_seen_by "$other" | grep -qx "$(node_name "$n")"; then return 0; fi
  done
  return 1
}

cmd_start_node() {
  local n=$1 t0
  node_arg "$n"
  cluster_dir_setup
  need_cluster
  t0=$(date +%s.%N)
  log "start_app on $(node_name "$n")"
  # start_app returns once the app has booted; then the port must accept connections and the
  # other nodes must count the node as running again.
  ctl "$n" start_app >/dev/null ||
    die "start_app on $(node_name "$n") failed (if its VM is gone, run 'start' again; see 'status')"
  wait_for 60 "$(node_name "$n") to accept connections" port_open "$(amqp_port "$n")" || exit 1
  wait_for 60 "the other nodes to see $(node_name "$n") running" node_in_cluster "$n" || exit 1
  log "$(node_name "$n") is up and in the cluster ($(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN{printf "%.1f", t1 - t0}') s)"
}

cmd_status() {
  local n state any=0
  cluster_dir_setup
  for n in "${NODES[@]}"; do
    if [ -z "$(node_pids "$n")" ]; then
      state="stopped"
    elif ! have_cluster; then
      state="running, but not the cluster's: run 'start' or 'stop'"
    elif app_running "$n"; then
      state="running, $(node_uri "$n")"
      any=1
    elif vm_up "$n"; then
      state="VM up, app stopped"
    else
      state="starting or unreachable"
    fi
    printf '%s: %s\n' "$(node_name "$n")" "$state"
  done
  if [ "$any" = 1 ]; then
    for n in "${NODES[@]}"; do
      if app_running "$n"; then
        echo
        ctl "$n" cluster_status || true
        break
      fi
    done
  fi
}

cmd_selftest() {
  local started_here=0 t0
  cluster_dir_setup
  lock_cluster
  if ! cluster_healthy; then
    t0=$(date +%s)
    cmd_start >/dev/null
    started_here=1
    log "start took $(($(date +%s) - t0)) s"
  fi
  if ! python3 -c 'import pika' 2>/dev/null; then
    log "installing pika"
    python3 -m pip install -q --disable-pip-version-check pika 2>/dev/null || apt_install python3-pika
  fi
  local q=warren-cluster-selftest rc=0
  selftest_steps "$q" || rc=$?
  if [ "$started_here" = 1 ]; then cmd_stop; fi
  if [ "$rc" = 0 ]; then log "selftest passed"; else log "selftest FAILED"; fi
  return "$rc"
}

# qq_state N QUEUE: "leader=NODE members=A,B,C online=A,B,C" for a quorum queue, as node N sees it.
qq_state() {
  ctl "$1" list_queues name type leader members online --formatter json 2>/dev/null | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["name"] == sys.argv[1]]
if rows:
    r = rows[0]
    print("type=%s leader=%s members=%s online=%s" % (r["type"], r["leader"],
          ",".join(sorted(r["members"])), ",".join(sorted(r["online"]))))
' "$2"
}

selftest_steps() {
  local q=$1 state i all
  all="warren-c1@localhost,warren-c2@localhost,warren-c3@localhost"
  # 1. A quorum queue declared through node 1 (so its leader is there), one persistent message
  #    published with confirms.
  python3 - "$(node_uri 1)" "$q" <<'EOF' || return 1
import sys, pika
uri, q = sys.argv[1], sys.argv[2]
with pika.BlockingConnection(pika.URLParameters(uri)) as conn:
    ch = conn.channel()
    ch.queue_delete(q)
    ch.queue_declare(q, durable=True, arguments={"x-queue-type": "quorum"})
    ch.confirm_delivery()
    ch.basic_publish("", q, b"failover", pika.BasicProperties(delivery_mode=2), mandatory=True)
print("declared quorum queue", q, "through node 1 and published one message (confirmed)")
EOF
  # 2. It has a member on each node, all online, the leader on node 1.
  state="$(qq_state 1 "$q")"
  echo "$q: $state"
  [ "$state" = "type=quorum leader=$(node_name 1) members=$all online=$all" ] ||
    { echo "unexpected state of $q" >&2; return 1; }
  # 3. Stop node 1 under a connection open on it; 4. the message is on node 2.
  python3 - "$(node_uri 1)" "$(node_uri 2)" "$q" "$SELF" <<'EOF' || return 1
import subprocess, sys, time, pika
uri1, uri2, q, script = sys.argv[1:5]
held = pika.BlockingConnection(pika.URLParameters(uri1))
t0 = time.monotonic()
subprocess.run([script, "stop-node", "1"], check=True)
print(f"stop-node 1 took {time.monotonic() - t0:.1f} s")
try:
    held.process_data_events(time_limit=5)
    print("the connection on node 1 was still open after stop_app")
    sys.exit(1)
except pika.exceptions.ConnectionClosedByBroker as e:
    print(f"the connection on node 1 got connection.close {e.reply_code} {e.reply_text}")
except pika.exceptions.AMQPConnectionError as e:
    print(f"the connection on node 1 was lost without connection.close: {e!r}")
with pika.BlockingConnection(pika.URLParameters(uri2)) as conn:
    ch = conn.channel()
    for _ in range(100):  # 10 s at most for the remaining members to elect a leader
        method, props, body = ch.basic_get(q, auto_ack=False)
        if method:
            break
        time.sleep(0.1)
    assert method and body == b"failover", (method, body)
    ch.basic_ack(method.delivery_tag)
    print("consumed the message through node 2, redelivered =", method.redelivered)
EOF
  state="$(qq_state 2 "$q")"
  echo "$q: $state"
  case "$state" in
    "type=quorum leader=$(node_name 1) "*) echo "the leader is still on the stopped node" >&2; return 1 ;;
    *"online=$(node_name 2),$(node_name 3)") ;;
    *) echo "unexpected state of $q" >&2; return 1 ;;
  esac
  # 5. Node 1 back: its member is online again (the leader stays where it moved).
  "$SELF" start-node 1 || return 1
  for ((i = 0; i < 20; i++)); do
    state="$(qq_state 1 "$q")"
    case "$state" in *"online=$all") break ;; esac
    sleep 0.5
  done
  echo "$q: $state"
  case "$state" in *"online=$all") ;; *) echo "node 1's member of $q did not come back" >&2; return 1 ;; esac
  python3 - "$(node_uri 1)" "$q" <<'EOF' || return 1
import sys, pika
uri, q = sys.argv[1], sys.argv[2]
with pika.BlockingConnection(pika.URLParameters(uri)) as conn:
    conn.channel().queue_delete(q)
print("node 1 serves again; deleted", q)
EOF
}

usage() {
  sed -n '2,10p' "$SELF" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  stop-node) cmd_stop_node "${2:-}" ;;
  start-node) cmd_start_node "${2:-}" ;;
  status) cmd_status ;;
  uris) all_uris ;;
  selftest) cmd_selftest ;;
  *) usage ;;
esac
