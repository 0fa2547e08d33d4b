<?php
// php-amqplib with heartbeat 1 s: a callback that sleeps $sleep seconds, then acks and makes
// one round trip. Reports whether the connection survived.
require __DIR__ . '/common.php';

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;

$in = peer_input();
$u = parse_url(getenv('WARREN_URI'));
$conn = new AMQPStreamConnection($u['host'], $u['port'] ?? 5672, 'guest', 'guest', '/', false, 'AMQPLAIN', null,
    'en_US', 3.0, 3.0, null, false, 1);
$ch = $conn->channel();
[$q] = $ch->queue_declare('', false, false, true, true);
$ch->basic_publish(new AMQPMessage('work'), '', $q);
$error = null;
$ch->basic_consume($q, '', false, false, false, false, function (AMQPMessage $m) use ($in) {
    sleep($in['sleep']);
    $m->ack();
});
try {
    $ch->wait(null, false, 5);
    $ch->queue_declare($q, true);
    $ch->queue_declare($q, true);
} catch (Throwable $e) {
    $error = get_class($e) . ': ' . $e->getMessage();
}
peer_output(['survived' => $error === null, 'error' => $error]);
