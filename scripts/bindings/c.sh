#!/usr/bin/env bash
# The C binding (bindings-c/): `install` installs what building and testing it needs;
# `test RABBIT_URI BROKER_URI` builds libwarren once and checks it:
#   - the committed header matches the code (cbindgen regenerates it on every build),
#   - the header compiles alone with gcc and clang (-std=c99 -Wall -Wextra -Werror -pedantic)
#     and as C++ with g++ and clang++,
#   - libwarren.so exports only warren_* symbols and has a versioned soname,
#   - `make -C bindings-c install` lays out header, libraries, warren.pc and the CMake config,
#     and a program builds with pkg-config against that install,
#   - the C tests (bindings-c/tests, built with CMake against the install's find_package)
#     pass under valgrind against RabbitMQ and warren-broker (ctest),
#   - the examples (examples/c) build and run against warren-broker.
# Prints ctest's summary and a closing "N passed, N failed" line; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

cmd="${1:-}"

if [ "$cmd" = install ]; then
  apt_install build-essential clang cmake pkg-config valgrind librabbitmq-dev binutils
  exit $?
fi

if [ "$cmd" != test ]; then
  echo "usage: $0 install | test RABBIT_URI BROKER_URI" >&2
  exit 2
fi

RABBIT_URI="${2:-}"
BROKER_URI="${3:-}"
require_cargo

passed=0
failed=0
check() { # check NAME COMMAND...: runs one check and counts it
  local name="$1"
  shift
  if "$@"; then
    echo "PASS  $name"
    passed=$((passed + 1))
  else
    echo "FAIL  $name"
    failed=$((failed + 1))
  fi
}

ROOT="$PWD"
PREFIX="$ROOT/target/c-install"
LIB="$ROOT/target/release/libwarren.so"

echo "==> cargo build --release -p warren-c"
if ! cargo build --release -p warren-c; then
  echo "0 passed, 1 failed"
  exit 1
fi

header_current() {
  if ! git rev-parse --git-dir >/dev/null 2>&1; then
    echo "not a git checkout: cannot compare the header with the committed one" >&2
    return 1
  fi
  git diff --exit-code --stat -- bindings-c/include/warren.h \
    || { echo "bindings-c/include/warren.h is stale: commit the regenerated header" >&2; return 1; }
}
check "warren.h matches the code (cbindgen drift check)" header_current

compile_header() { # compile_header COMPILER FLAGS...
  "$@" -Ibindings-c/include -c -o /dev/null
}
C_FLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic)
CXX_FLAGS=(-std=c++11 -Wall -Wextra -Werror -pedantic)
check "warren.h compiles with gcc ${C_FLAGS[*]}" compile_header gcc "${C_FLAGS[@]}" bindings-c/tests/header_check.c
check "warren.h compiles with clang ${C_FLAGS[*]}" compile_header clang "${C_FLAGS[@]}" bindings-c/tests/header_check.c
check "warren.h compiles with g++ ${CXX_FLAGS[*]}" compile_header g++ "${CXX_FLAGS[@]}" bindings-c/tests/header_check.cpp
check "warren.h compiles with clang++ ${CXX_FLAGS[*]}" compile_header clang++ "${CXX_FLAGS[@]}" bindings-c/tests/header_check.cpp

only_warren_exports() {
  local others count
  count="$(nm -D --defined-only "$LIB" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | grep -c '^warren_')"
  others="$(nm -D --defined-only "$LIB" | awk '{ print $3 }' | grep -v '^warren_' || true)"
  if [ -n "$others" ]; then
    echo "libwarren.so exports symbols outside warren_*:" >&2
    echo "$others" | head -n 20 >&2
    return 1
  fi
  echo "    $count warren_* symbols exported, nothing else"
}
check "libwarren.so exports only warren_* (nm -D)" only_warren_exports

versioned_soname() {
  local soname
  soname="$(readelf -d "$LIB" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
  echo "    soname: $soname"
  [[ "$soname" =~ ^libwarren\.so\.[0-9]+(\.[0-9]+)?$ ]]
}
check "libwarren.so has a versioned soname" versioned_soname

install_layout() {
  rm -rf "$PREFIX"
  make -s -C bindings-c install PREFIX="$PREFIX" >/dev/null || return 1
  local f
  for f in include/warren.h lib/libwarren.a lib/libwarren.so lib/pkgconfig/warren.pc \
    lib/cmake/warren/warrenConfig.cmake lib/cmake/warren/warrenConfigVersion.cmake; do
    [ -e "$PREFIX/$f" ] || { echo "missing after install: $f" >&2; return 1; }
  done
}
check "make -C bindings-c install PREFIX=target/c-install" install_layout

pkg_config_build() {
  local out="$ROOT/target/c-tests-pkgconfig"
  mkdir -p "$out"
  # shellcheck disable=SC2046
  gcc -std=c99 -Wall -Wextra -Werror -o "$out/header_check" bindings-c/tests/header_check.c \
    $(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --cflags --libs warren) \
    -Wl,-rpath,"$PREFIX/lib" && "$out/header_check"
}
check "a program builds and runs with pkg-config warren" pkg_config_build

BUILD="$ROOT/target/c-tests"
BROKER_BIN="$ROOT/target/debug/warren-broker"
[ -x "$BROKER_BIN" ] || BROKER_BIN=""
[ -n "$BROKER_BIN" ] || echo "==> target/debug/warren-broker is missing: the recovery test is left out"
ctest_run() {
  rm -rf "$BUILD"
  cmake -S bindings-c/tests -B "$BUILD" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DWARREN_RABBIT_URI="$RABBIT_URI" -DWARREN_BROKER_URI="$BROKER_URI" \
    -DWARREN_BROKER_BIN="$BROKER_BIN" >/dev/null || return 1
  cmake --build "$BUILD" -j 2 >/dev/null || { cmake --build "$BUILD" -j 1; return 1; }
  ctest --test-dir "$BUILD" --output-on-failure --no-tests=error -j 2
}
check "C tests under valgrind (ctest; RabbitMQ${BROKER_URI:+ and warren-broker})" ctest_run

if [ -d examples/c ] && [ -n "$BROKER_URI" ]; then
  examples_run() {
    local out="$ROOT/target/c-examples"
    rm -rf "$out"
    cmake -S examples/c -B "$out" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null \
      && cmake --build "$out" -j 2 >/dev/null \
      && WARREN_URI="$BROKER_URI" bash examples/c/run_all.sh "$out"
  }
  check "examples/c build and run (warren-broker)" examples_run
fi

echo "c binding: $passed passed, $failed failed"
[ "$failed" = 0 ]
