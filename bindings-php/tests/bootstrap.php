<?php
/**
 * Shared by the PHPUnit suites: the broker URI (WARREN_URI), unique names, and a php-amqplib
 * peer run in a separate PHP process (its classes cannot share a process with the
 * compatibility layer, which declares the same names).
 */

declare(strict_types=1);

if (!extension_loaded('warren')) {
    fwrite(STDERR, "load the extension: php -d extension=target/release/libwarren_php.so ...\n");
    exit(2);
}

/** The broker under test. */
function warren_uri(): string
{
    return getenv('WARREN_URI') ?: 'amqp://guest:guest@127.0.0.1:5672/%2f';
}

/** Whether the broker under test is RabbitMQ (server property `product`). */
function broker_is_rabbitmq(): bool
{
    static $is = null;
    if ($is === null) {
        $c = new Warren\Connection(warren_uri());
        $is = stripos((string) ($c->serverProperties()['product'] ?? ''), 'rabbitmq') !== false;
        $c->close();
    }
    return $is;
}

/** A name no other test (or run) uses. */
function unique_name(string $prefix): string
{
    return sprintf('warren-php-%s-%d-%s', $prefix, getmypid(), bin2hex(random_bytes(4)));
}

/**
 * Runs tests/peer/<script> with php-amqplib (Debian's package) in a PHP process without the
 * warren extension (it is loaded with -d on the command line, never from php.ini); passes $input as JSON on stdin and returns its JSON output.
 */
function amqplib_peer(string $script, array $input): array
{
    // The peer runs without `-d extension=...libwarren_php.so`: php-amqplib on its own.
    $cmd = [PHP_BINARY, __DIR__ . '/peer/' . $script];
    $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes,
        null, ['WARREN_URI' => warren_uri(), 'PATH' => getenv('PATH')]);
    if (!is_resource($proc)) {
        throw new RuntimeException('cannot start the php-amqplib peer');
    }
    fwrite($pipes[0], json_encode($input));
    fclose($pipes[0]);
    $out = stream_get_contents($pipes[1]);
    $err = stream_get_contents($pipes[2]);
    $code = proc_close($proc);
    $data = json_decode((string) $out, true);
    if ($code !== 0 || !is_array($data)) {
        throw new RuntimeException("php-amqplib peer $script failed ($code): $err $out");
    }
    return $data;
}

/** The built extension, for child PHP processes (the runner sets WARREN_PHP_EXT). */
function warren_ext_path(): string
{
    return getenv('WARREN_PHP_EXT') ?: dirname(__DIR__, 2) . '/target/release/libwarren_php.so';
}

/**
 * Starts a PHP script with the extension loaded, in the background; returns the process
 * handle and its pipes (stdout, stderr).
 */
function start_php(string $script, array $args = [], array $env = []): array
{
    $cmd = array_merge([PHP_BINARY, '-d', 'extension=' . warren_ext_path(), $script], $args);
    $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes,
        null, $env + ['WARREN_URI' => warren_uri(), 'PATH' => getenv('PATH')]);
    if (!is_resource($proc)) {
        throw new RuntimeException("cannot start $script");
    }
    fclose($pipes[0]);
    // Non-blocking, so that reading what a still-running child wrote never waits for it.
    stream_set_blocking($pipes[1], false);
    stream_set_blocking($pipes[2], false);
    return [$proc, $pipes[1], $pipes[2]];
}

/** Reads a line from a child's stdout, waiting at most $timeout seconds. */
function read_line($pipe, float $timeout): ?string
{
    $deadline = microtime(true) + $timeout;
    stream_set_blocking($pipe, false);
    $buf = '';
    while (microtime(true) < $deadline) {
        $chunk = fgets($pipe);
        if ($chunk !== false) {
            $buf .= $chunk;
            if (str_ends_with($buf, "\n")) {
                return rtrim($buf, "\n");
            }
        } elseif (feof($pipe)) {
            return $buf === '' ? null : $buf;
        } else {
            usleep(10000);
        }
    }
    return null;
}

/** Resident memory of this process in KiB. */
function rss_kib(): int
{
    preg_match('/VmRSS:\s+(\d+)/', (string) file_get_contents('/proc/self/status'), $m);
    return (int) ($m[1] ?? 0);
}
