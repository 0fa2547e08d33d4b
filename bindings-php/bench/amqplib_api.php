<?php
/**
 * The benchmark loops written once against php-amqplib's API; run with php-amqplib itself or
 * with the extension's compatibility layer:
 *
 *   php amqplib_api.php amqplib|compat publish|publish-confirm|consume URI N [QUEUE]
 *
 * Prints one JSON line: {"client": ..., "op": ..., "n": ..., "seconds": ...}.
 */
declare(strict_types=1);

[, $impl, $op, $uri, $n] = $argv + [null, null, null, null, null];
$queue = $argv[5] ?? 'bench-php';
$n = (int) $n;
require $impl === 'compat'
    ? __DIR__ . '/../php-amqplib-compat/autoload.php'
    : '/usr/share/php/PhpAmqpLib/autoload.php';

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;

$u = parse_url($uri);
$conn = new AMQPStreamConnection($u['host'], $u['port'] ?? 5672, $u['user'] ?? 'guest', $u['pass'] ?? 'guest');
$ch = $conn->channel();
$ch->queue_declare($queue, false, true, false, false);
$body = str_repeat('x', 16);

$t = microtime(true);
if ($op === 'publish' || $op === 'publish-confirm') {
    $props = $op === 'publish-confirm' ? ['delivery_mode' => 2] : [];
    $acked = 0;
    if ($op === 'publish-confirm') {
        $ch->confirm_select();
        // As an application tracks its publishes (and PECL's loop its confirm callback).
        $ch->set_ack_handler(function (AMQPMessage $m) use (&$acked) {
            $acked++;
        });
        $ch->set_nack_handler(function (AMQPMessage $m) {
            throw new RuntimeException('the broker nacked a publish');
        });
    }
    for ($i = 0; $i < $n; $i++) {
        $ch->basic_publish(new AMQPMessage($body, $props), '', $queue);
        if ($op === 'publish-confirm' && $i % 1000 === 999) {
            $ch->wait_for_pending_acks(30);
        }
    }
    if ($op === 'publish-confirm') {
        $ch->wait_for_pending_acks(30);
        if ($acked !== $n) {
            fwrite(STDERR, "the ack handler saw $acked acks for $n publishes\n");
            exit(1);
        }
    }
    // Everything written: a round trip behind the publishes.
    $ch->queue_declare($queue, true);
} else {
    $ch->basic_qos(0, 1000, false);
    $got = 0;
    $ch->basic_consume($queue, '', false, false, false, false, function (AMQPMessage $m) use (&$got, $n) {
        $m->ack();
        if (++$got === $n) {
            $m->getChannel()->basic_cancel($m->getConsumerTag());
        }
    });
    while ($ch->is_consuming()) {
        $ch->wait(null, false, 30);
    }
}
$seconds = microtime(true) - $t;
$conn->close();
echo json_encode(['client' => $impl === 'compat' ? 'warren (php-amqplib API)' : 'php-amqplib', 'op' => $op, 'n' => $n, 'seconds' => $seconds]), "\n";
