# Shared by scripts/run.sh and scripts/test.sh: install what is missing, start and stop
# RabbitMQ and the reference broker. Source it; it defines functions only.

# Runs a command as root (directly, or through sudo on a developer machine).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
# apt_install PKG... installs Debian packages that are not installed yet.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing ${missing[*]}"
  if [ "$APT_UPDATED" = 0 ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

require_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null 2>&1 || { echo "cargo (Rust) is required: install it with rustup" >&2; exit 1; }
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

RABBITMQ_STARTED_HERE=0
# Starts RabbitMQ on 127.0.0.1:5672 unless something already listens there.
start_rabbitmq() {
  if port_open 5672; then
    echo "==> a broker already listens on 127.0.0.1:5672; using it"
    return 0
  fi
  apt_install rabbitmq-server
  echo "==> starting RabbitMQ"
  # As the rabbitmq user with the file-descriptor limit raised to the hard limit: su's PAM
  # session would otherwise leave RabbitMQ at 1,024, about 900 usable sockets (RabbitMQ's own
  # systemd unit sets 65,536).
  if id rabbitmq >/dev/null 2>&1; then
    as_root su rabbitmq -s /bin/sh \
      -c 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec /usr/sbin/rabbitmq-server -detached' \
      >/dev/null 2>&1 || true
  else
    as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 120); do
    if port_open 5672; then
      RABBITMQ_STARTED_HERE=1
      as_root rabbitmqctl await_startup >/dev/null 2>&1 || true
      echo "==> RabbitMQ is up"
      return 0
    fi
    sleep 0.5
  done
  echo "RabbitMQ did not start within 60 s" >&2
  return 1
}

# Stops RabbitMQ if this script started it.
stop_rabbitmq() {
  if [ "$RABBITMQ_STARTED_HERE" = 1 ]; then
    echo "==> stopping RabbitMQ"
    as_root rabbitmqctl shutdown >/dev/null 2>&1 || true
    as_root epmd -kill >/dev/null 2>&1 || true
    RABBITMQ_STARTED_HERE=0
  fi
}

SECURITY_FIXTURE=()   # what add_security_fixture created: "vhost", "user"
# add_security_fixture: on the local RabbitMQ, the vhost `wtest` and the user `app` that the
# RabbitMQ variant of broker/tests/security.rs expects (see that file), with their
# permissions; creates only what is missing and remembers it for remove_security_fixture.
add_security_fixture() {
  if ! as_root rabbitmqctl -q list_vhosts name 2>/dev/null | grep -qx wtest; then
    as_root rabbitmqctl -q add_vhost wtest >/dev/null || return 1
    SECURITY_FIXTURE+=(vhost)
  fi
  if ! as_root rabbitmqctl -q list_users 2>/dev/null | awk '{ print $1 }' | grep -qx app; then
    as_root rabbitmqctl -q add_user app secret >/dev/null || return 1
    SECURITY_FIXTURE+=(user)
  fi
  as_root rabbitmqctl -q set_permissions -p wtest app ':c' ':w' ':r' >/dev/null \
    && as_root rabbitmqctl -q set_permissions -p wtest guest '.*' '.*' '.*' >/dev/null
}

# remove_security_fixture: deletes what add_security_fixture created (the vhost with the
# exchanges and queues the test declared in it), nothing that was there before.
remove_security_fixture() {
  local made
  for made in "${SECURITY_FIXTURE[@]}"; do
    case "$made" in
      vhost) as_root rabbitmqctl -q delete_vhost wtest >/dev/null 2>&1 || true ;;
      user) as_root rabbitmqctl -q delete_user app >/dev/null 2>&1 || true ;;
    esac
  done
  SECURITY_FIXTURE=()
}

# The process id of the local RabbitMQ's Erlang VM (beam.smp), for memory measurements.
rabbitmq_pid() {
  as_root rabbitmqctl eval 'list_to_integer(os:getpid()).' 2>/dev/null | tr -dc '0-9'
}

WARREN_BROKER_PID=""
WARREN_BROKER_PORT=""
WARREN_BROKER_LOG=""
WARREN_BROKER_DATA=""
WARREN_BROKER_URI=""
# start_warren_broker [PORT]: starts the reference broker (target/debug/warren-broker, built
# beforehand) on the first free loopback port from PORT (default 5673), waits until it accepts
# connections and sets WARREN_BROKER_URI (guest/guest on vhost /). Its log goes to
# target/warren-broker.PORT.log, its durable state to a fresh target/warren-data.PORT.
start_warren_broker() {
  local bin="${WARREN_BROKER_BIN:-target/debug/warren-broker}"
  local port="${1:-5673}" last=$((${1:-5673} + 50))
  [ -x "$bin" ] || { echo "$bin is missing: cargo build --workspace first" >&2; return 1; }
  while [ "$port" -le "$last" ]; do
    if port_open "$port"; then port=$((port + 1)); continue; fi
    WARREN_BROKER_LOG="target/warren-broker.$port.log"
    WARREN_BROKER_DATA="target/warren-data.$port"
    rm -rf "$WARREN_BROKER_DATA"
    echo "==> starting warren-broker on 127.0.0.1:$port (log: $WARREN_BROKER_LOG, data: $WARREN_BROKER_DATA)"
    "$bin" --listen "127.0.0.1:$port" --data-dir "$WARREN_BROKER_DATA" >"$WARREN_BROKER_LOG" 2>&1 &
    WARREN_BROKER_PID=$!
    for _ in $(seq 1 100); do
      if ! kill -0 "$WARREN_BROKER_PID" 2>/dev/null; then
        break # it exited: most likely someone else took the port meanwhile; try the next
      fi
      if port_open "$port"; then
        WARREN_BROKER_PORT=$port
        WARREN_BROKER_URI="amqp://guest:guest@127.0.0.1:$port/%2f"
        echo "==> warren-broker is up (pid $WARREN_BROKER_PID)"
        return 0
      fi
      sleep 0.1
    done
    if kill -0 "$WARREN_BROKER_PID" 2>/dev/null; then
      echo "warren-broker did not accept connections within 10 s; its log:" >&2
      tail -n 20 "$WARREN_BROKER_LOG" >&2
      stop_warren_broker
      return 1
    fi
    wait "$WARREN_BROKER_PID" 2>/dev/null || true
    echo "==> warren-broker exited at start on port $port:" >&2
    tail -n 5 "$WARREN_BROKER_LOG" >&2
    WARREN_BROKER_PID=""
    port=$((port + 1))
  done
  echo "no free loopback port for warren-broker in ${1:-5673}..$last" >&2
  return 1
}

# Stops the reference broker if start_warren_broker started it (SIGTERM, then SIGKILL after 10 s).
stop_warren_broker() {
  [ -n "$WARREN_BROKER_PID" ] || return 0
  if kill -0 "$WARREN_BROKER_PID" 2>/dev/null; then
    echo "==> stopping warren-broker (pid $WARREN_BROKER_PID)"
    kill -TERM "$WARREN_BROKER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$WARREN_BROKER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$WARREN_BROKER_PID" 2>/dev/null; then
      echo "==> warren-broker ignored SIGTERM for 10 s; killing it" >&2
      kill -KILL "$WARREN_BROKER_PID" 2>/dev/null || true
    fi
  fi
  wait "$WARREN_BROKER_PID" 2>/dev/null || true
  WARREN_BROKER_PID=""
}

# Installs the third-party clients the cross-client tests use: php-amqplib, rabbitmq-c's
# amqp-tools (Debian packages) and pika + pytest (pip, or Debian's packages where pip is
# refused, e.g. Debian's own python3).
install_client_deps() {
  apt_install php-cli php-amqplib amqp-tools || return 1
  python3 -c 'import pika, pytest' 2>/dev/null && return 0
  echo "==> installing pika and pytest"
  python3 -m pip install -q --disable-pip-version-check pika pytest \
    || apt_install python3-pika python3-pytest || return 1
  python3 -c 'import pika, pytest'
}
