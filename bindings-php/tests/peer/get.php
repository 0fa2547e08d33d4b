<?php
// Fetches one message with php-amqplib: {queue} → body (hex), properties, headers_hex (its
// re-encoding of the received table, types as received), headers (plain values).
require __DIR__ . '/common.php';

$in = peer_input();
$conn = peer_connect();
$ch = $conn->channel();
$msg = null;
for ($i = 0; $i < 50 && $msg === null; $i++) {
    $msg = $ch->basic_get($in['queue'], true);
    if ($msg === null) {
        usleep(20000);
    }
}
if ($msg === null) {
    fwrite(STDERR, "no message in {$in['queue']}\n");
    exit(1);
}
$props = $msg->get_properties();
$out = ['body' => bin2hex($msg->getBody()), 'properties' => [], 'headers_hex' => null, 'headers' => null];
foreach ($props as $k => $v) {
    if ($k === 'application_headers') {
        $out['headers_hex'] = table_hex($v);
        $out['headers'] = plain($v);
    } else {
        $out['properties'][$k] = $v;
    }
}
$ch->close();
$conn->close();
peer_output($out);
