#!/usr/bin/env bash
# Runs pika's own acceptance tests for the blocking adapter against warren.compat.pika.
#
#   bash bindings-python/scripts/pika_acceptance.sh PIKA_CHECKOUT [PORT] [-- PYTEST_ARGS...]
#
# PIKA_CHECKOUT is a checkout of pika's public repository (not part of this repository: fetch
# it yourself); PORT is the broker's port on 127.0.0.1 (default 5672; pika's tests hard-code
# 5672, so a copy of them is made with the port replaced). `import pika` in the tests resolves
# to warren.compat.pika through a small shim package; pika's own `pika/_utils.py` (helpers the
# test scaffolding uses: ForwardServer's socket pair, as_bytes) is loaded from the checkout.
# Needs the warren wheel and pytest-timeout installed in the virtualenv (scripts/bindings/python.sh
# test builds the wheel; each test gets 40 s, since some wait for a lost link that recovery
# repairs instead).
set -uo pipefail
src="${1:?usage: pika_acceptance.sh PIKA_CHECKOUT [PORT] [-- PYTEST_ARGS...]}"
shift
port=5672
if [ $# -gt 0 ] && [ "$1" != "--" ]; then port="$1"; shift; fi
[ "${1:-}" = "--" ] && shift
repo="$(cd "$(dirname "$0")/../.." && pwd)"
py="${PY:-$repo/target/python-venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$src/tests" "$work/tests"
mkdir -p "$work/shim/pika"
cp "$src/pika/_utils.py" "$work/shim/pika_utils_from_checkout.py"
cat > "$work/shim/pika/__init__.py" <<'PY'
# Test shim: `import pika` is warren.compat.pika; `pika._utils` is pika's helper module.
import importlib
import sys

import pika_utils_from_checkout as _utils
import warren.compat.pika as _compat

for _name in ("spec", "exceptions", "frame", "credentials", "connection", "adapters",
              "adapters.blocking_connection", "delivery_mode", "exchange_type"):
    sys.modules["pika." + _name] = importlib.import_module("warren.compat.pika." + _name)
sys.modules["pika._utils"] = _utils
_compat._utils = _utils
sys.modules["pika"] = _compat
PY
sed -i "s/5672/$port/g" "$work/tests/acceptance/blocking_adapter_test.py"
cd "$work"
export PYTHONPATH="$work/shim:$work"
# One pytest process per test, each bounded: a test that waits for a lost connection to stay
# lost would otherwise wait for recovery (up to the RPC timeout) and stall the whole run.
"$py" -m pytest -p no:cacheprovider -o addopts="" --collect-only -q \
  tests/acceptance/blocking_adapter_test.py "$@" | grep '::' > "$work/ids"
pass=0 fail=0 hung=0
while read -r id; do
  timeout 45 "$py" -m pytest -p no:cacheprovider -o addopts="" -q -x "$id" > "$work/out" 2>&1
  rc=$?
  if [ $rc = 0 ]; then pass=$((pass + 1)); echo "PASS $id"
  elif [ $rc = 124 ]; then hung=$((hung + 1)); echo "HUNG $id (killed after 45 s)"
  else fail=$((fail + 1)); echo "FAIL $id: $(grep -E '^E ' "$work/out" | head -2 | tr '\n' ' ' | cut -c1-300)"
  fi
done < "$work/ids"
echo "pika acceptance (blocking adapter) on 127.0.0.1:$port: $pass passed, $((fail + hung)) failed ($hung of them hung)"
echo "$pass passed, $((fail + hung)) failed"
[ $((fail + hung)) = 0 ]
