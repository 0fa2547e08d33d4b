# Shared by scripts/run.sh and scripts/test.sh: install what is missing, start and stop
# RabbitMQ. Source it; it defines functions only.

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
  as_root rabbitmq-server -detached >/dev/null 2>&1 || true
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
