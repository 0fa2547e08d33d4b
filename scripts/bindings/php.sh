#!/usr/bin/env bash
# The PHP binding (bindings-php/): `install` | `test RABBIT_URI BROKER_URI`.
#
#   install  Debian's PHP 8.2 with its headers, clang (ext-php-rs's bindgen), PHPUnit and
#            php-amqplib (the interop peer). Not php-amqp (PECL): it declares global AMQP*
#            classes and must not be enabled globally.
#   test     builds target/release/libwarren_php.so once, checks the committed stubs against
#            it, then runs the PHPUnit suites and the examples against RabbitMQ and against
#            warren-broker (skipped when BROKER_URI is empty).
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

EXT="$PWD/target/release/libwarren_php.so"
# For the kill -9 + restart test, which starts a warren-broker of its own (test.sh has built it).
BROKER_BIN="$PWD/target/debug/warren-broker"

install() {
  # pkg-config and libssl-dev: ext-php-rs's build script links OpenSSL through its HTTP client.
  apt_install php-dev php-cli clang libclang-dev phpunit php-amqplib pkg-config libssl-dev
}

# One broker: the PHPUnit suites (native API, then the php-amqplib compatibility layer), then
# the examples. Prints PHPUnit's summaries.
run_suite() {
  local label="$1" uri="$2" rc=0
  echo "==> PHP binding tests against $label ($uri)"
  for suite in phpunit phpunit-compat; do
    WARREN_URI="$uri" WARREN_PHP_EXT="$EXT" WARREN_BROKER_BIN="$BROKER_BIN" timeout 900 \
      php -d extension="$EXT" /usr/bin/phpunit -c "bindings-php/tests/$suite.xml" || rc=1
  done
  # distributed_logging gets an exchange of its own: other suites on a shared broker may have
  # left a `logs` exchange of another type.
  for example in batch_processing image_upload "distributed_logging --exchange logs-php-example" rpc; do
    # shellcheck disable=SC2086 # the example's arguments are split on purpose
    set -- $example
    if ! WARREN_URI="$uri" timeout 120 php -d extension="$EXT" "examples/php/$1.php" "${@:2}"; then
      echo "examples/php/$1.php FAILED against $label"
      rc=1
    fi
  done
  return "$rc"
}

test_binding() {
  local rabbit_uri="$1" broker_uri="${2:-}" rc=0
  echo "==> cargo build --release -p warren-php"
  cargo build --release -p warren-php || return 1
  echo "==> stubs check"
  php -d extension="$EXT" bindings-php/tools/stubs.php --check bindings-php/stubs/warren.php || rc=1
  php -d extension="$EXT" --re warren >/dev/null || rc=1
  run_suite RabbitMQ "$rabbit_uri" || rc=1
  if [ -n "$broker_uri" ]; then
    run_suite warren-broker "$broker_uri" || rc=1
  else
    echo "==> SKIP PHP binding tests against warren-broker: it did not start"
  fi
  return "$rc"
}

case "${1:-}" in
  install) install ;;
  test) shift; test_binding "$@" ;;
  *) echo "usage: $0 install | test RABBIT_URI BROKER_URI" >&2; exit 2 ;;
esac
