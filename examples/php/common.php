<?php
// Shared by the PHP examples: the broker URI and the OK / FAILED convention of examples/.
declare(strict_types=1);

if (!extension_loaded('warren')) {
    fwrite(STDERR, "run with: php -d extension=target/release/libwarren_php.so " . $argv[0] . "\n");
    exit(2);
}

/** The broker: first argument that looks like a URI, else WARREN_URI, else the local default. */
function example_uri(array $argv): string
{
    foreach (array_slice($argv, 1) as $a) {
        if (str_starts_with($a, 'amqp')) {
            return $a;
        }
    }
    return getenv('WARREN_URI') ?: 'amqp://guest:guest@127.0.0.1:5672/%2f';
}

/** `--name value` from the command line, else $default. */
function example_option(array $argv, string $name, int $default): int
{
    $i = array_search("--$name", $argv, true);
    return $i === false ? $default : (int) ($argv[$i + 1] ?? $default);
}

function example_fail(string $name, string $why): never
{
    echo "$name: FAILED: $why\n";
    exit(1);
}
