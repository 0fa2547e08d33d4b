<?php
// php-amqplib's encoding of a fixture table: {headers: "fixture"|"typed"} → {hex}.
require __DIR__ . '/common.php';

use PhpAmqpLib\Wire\AMQPTable;

$in = peer_input();
$t = ($in['headers'] ?? '') === 'typed' ? typed_fixture(false) : new AMQPTable(header_fixture());
peer_output(['hex' => table_hex($t)]);
