#!/usr/bin/env bash
# Runs php-amqplib's own functional tests and demo/ scripts against the compatibility layer.
#
#   bindings-php/tools/run-amqplib-functional.sh PHP_AMQPLIB_CHECKOUT AMQP_URI
#
# PHP_AMQPLIB_CHECKOUT is a checkout of php-amqplib's public repository (not part of this
# repository; nothing of it is committed here). The tests run with Debian's PHPUnit 9.6 and a
# bootstrap of ours that loads the compatibility layer instead of php-amqplib's classes; its
# test helpers (PhpAmqpLib\Tests\...) come from the checkout. Prints PHPUnit's summary, then
# one line per demo script.
set -uo pipefail
repo="$(cd "$1" && pwd)"
uri="$2"
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
ext="${WARREN_PHP_EXT:-$root/target/release/libwarren_php.so}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

host="$(php -r '$u = parse_url($argv[1]); echo $u["host"];' "$uri")"
port="$(php -r '$u = parse_url($argv[1]); echo $u["port"] ?? 5672;' "$uri")"

cat > "$work/bootstrap.php" <<PHP
<?php
require '$here/php-amqplib-compat/autoload.php';
spl_autoload_register(function (\$class) {
    \$prefix = 'PhpAmqpLib\\\\Tests\\\\';
    if (strncmp(\$class, \$prefix, strlen(\$prefix)) === 0) {
        \$file = '$repo/tests/' . str_replace('\\\\', '/', substr(\$class, strlen(\$prefix))) . '.php';
        if (is_file(\$file)) {
            require \$file;
        }
    }
});
putenv('TEST_RABBITMQ_HOST=$host');
putenv('TEST_RABBITMQ_PORT=$port');
require '$repo/tests/config.php';
if (is_file('$repo/tests/php_compat_71.php')) {
    require '$repo/tests/php_compat_71.php';
}
PHP
cat > "$work/phpunit.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<phpunit bootstrap="$work/bootstrap.php" colors="false" cacheResult="false">
  <testsuites>
    <testsuite name="Functional Tests">
      <directory suffix="Test.php">$repo/tests/Functional</directory>
    </testsuite>
  </testsuites>
  <php>
    <ini name="error_reporting" value="E_ALL ^ E_USER_DEPRECATED"/>
  </php>
</phpunit>
XML

echo "==> php-amqplib functional tests on the compatibility layer ($uri)"
timeout 1200 php -d extension="$ext" /usr/bin/phpunit -c "$work/phpunit.xml" \
  --exclude-group proxy,management --log-junit "$work/junit.xml"
rc=$?
[ -n "${JUNIT_OUT:-}" ] && cp "$work/junit.xml" "$JUNIT_OUT"

echo "==> php-amqplib demo/ scripts on the compatibility layer"
mkdir -p "$work/demo"
cat > "$work/demo/config.php" <<PHP
<?php
require '$here/php-amqplib-compat/autoload.php';
define('HOST', '$host');
define('PORT', $port);
define('USER', 'guest');
define('PASS', 'guest');
define('VHOST', '/');
define('AMQP_DEBUG', false);
PHP
for demo in "$repo"/demo/*.php; do
  name="$(basename "$demo")"
  [ "$name" = config.php ] && continue
  cp "$demo" "$work/demo/$name"
  # The demos require ../vendor/autoload.php and config.php from their own directory.
  sed -i "s#__DIR__ . '/../vendor/autoload.php'#'$work/demo/config.php'#" "$work/demo/$name"
  out="$(cd "$work/demo" && timeout 15 php -d extension="$ext" "$name" 'demo message' </dev/null 2>&1)"
  code=$?
  echo "demo $name: exit $code $(echo "$out" | tail -1 | cut -c1-160)"
done
exit $rc
