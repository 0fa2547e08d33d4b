#!/usr/bin/env bash
# The Python binding (bindings-python): `install` prepares a virtualenv under target/ with
# maturin, pytest, mypy, pika and aio-pika; `test RABBIT_URI BROKER_URI` builds the abi3 wheel
# once (maturin, release), installs it into the virtualenv, checks the stubs
# (mypy.stubtest) and the examples (mypy --strict), and runs the pytest suite against
# RabbitMQ and then against warren-broker (skipped when BROKER_URI is empty).
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

VENV="${WARREN_PY_VENV:-target/python-venv}"
PY="$VENV/bin/python"

install() {
  apt_install python3 python3-venv python3-dev
  if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV" || return 1
  fi
  "$PY" -m pip install -q --upgrade pip >/dev/null || return 1
  "$PY" -m pip install -q "maturin>=1.5,<2" "pytest>=7" "mypy>=1.10" "pika>=1.3,<2" "aio-pika>=9" || return 1
}

build() {
  require_cargo
  rm -rf target/wheels/warren-*.whl
  "$VENV/bin/maturin" build --release --quiet -m bindings-python/Cargo.toml -o target/wheels || return 1
  "$PY" -m pip install -q --force-reinstall --no-deps target/wheels/warren-*.whl || return 1
}

run_pytest() {
  local label="$1" uri="$2"
  echo "==> pytest ($label: $uri)"
  # Run from the tests folder so that `warren` is the installed wheel, not the source tree.
  (cd bindings-python/tests && WARREN_TEST_URI="$uri" timeout 900 "../../$PY" -m pytest -q -p no:cacheprovider -o addopts="" .)
}

test_all() {
  local rabbit="$1" broker="${2:-}" rc=0
  [ -x "$PY" ] || install || return 1
  build || { echo "==> building the Python wheel failed"; return 1; }
  echo "==> mypy.stubtest warren"
  (cd bindings-python/tests && "../../$PY" -m mypy.stubtest warren --allowlist ../stubtest-allowlist.txt) || rc=1
  echo "==> mypy --strict examples/python"
  "$PY" -m mypy --strict --no-incremental examples/python || rc=1
  run_pytest RabbitMQ "$rabbit" || rc=1
  if [ -n "$broker" ]; then
    run_pytest warren-broker "$broker" || rc=1
  else
    echo "==> SKIP pytest on warren-broker (not running)"
  fi
  return "$rc"
}

case "${1:-}" in
  install) install ;;
  test) shift; test_all "$@" ;;
  *) echo "usage: $0 install | test RABBIT_URI [BROKER_URI]" >&2; exit 2 ;;
esac
