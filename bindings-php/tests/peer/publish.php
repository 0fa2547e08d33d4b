<?php
// Publishes one message with php-amqplib: {queue, body (hex), properties, headers: "fixture"|"typed"|null}.
require __DIR__ . '/common.php';

use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

$in = peer_input();
$conn = peer_connect();
$ch = $conn->channel();
$props = $in['properties'] ?? [];
if (($in['headers'] ?? null) === 'fixture') {
    $props['application_headers'] = new AMQPTable(header_fixture());
} elseif (($in['headers'] ?? null) === 'typed') {
    $props['application_headers'] = typed_fixture(false);
}
$ch->basic_publish(new AMQPMessage(hex2bin($in['body'] ?? ''), $props), '', $in['queue']);
$ch->close();
$conn->close();
peer_output(['ok' => true]);
