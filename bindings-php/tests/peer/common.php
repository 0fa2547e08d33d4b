<?php
// php-amqplib (Debian's package) for the interop peers; never the warren extension.
declare(strict_types=1);
require_once '/usr/share/php/PhpAmqpLib/autoload.php';
require_once __DIR__ . '/../fixtures.php';

use PhpAmqpLib\Connection\AMQPStreamConnection;

function peer_input(): array
{
    return json_decode(stream_get_contents(STDIN), true) ?: [];
}

function peer_connect(): AMQPStreamConnection
{
    $u = parse_url(getenv('WARREN_URI') ?: 'amqp://guest:guest@127.0.0.1:5672/%2f');
    return new AMQPStreamConnection($u['host'], $u['port'] ?? 5672, urldecode($u['user'] ?? 'guest'),
        urldecode($u['pass'] ?? 'guest'), urldecode(ltrim($u['path'] ?? '/', '/')) ?: '/');
}

function peer_output(array $data): void
{
    echo json_encode($data, JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE);
}

/** php-amqplib's own encoding of a table, as hex. */
function table_hex(PhpAmqpLib\Wire\AMQPTable $t): string
{
    $w = new PhpAmqpLib\Wire\AMQPWriter();
    $w->write_table($t);
    return bin2hex($w->getvalue());
}
