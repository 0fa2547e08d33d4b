<?php
/**
 * The same loops on Debian's PECL amqp extension (php-amqp, rabbitmq-c), through its own API:
 *
 *   php -d extension=amqp pecl.php publish|publish-confirm|consume URI N [QUEUE]
 */
declare(strict_types=1);

[, $op, $uri, $n] = $argv + [null, null, null, null];
$queue = $argv[4] ?? 'bench-php';
$n = (int) $n;
$u = parse_url($uri);
$conn = new AMQPConnection(['host' => $u['host'], 'port' => $u['port'] ?? 5672,
    'login' => $u['user'] ?? 'guest', 'password' => $u['pass'] ?? 'guest']);
$conn->connect();
$ch = new AMQPChannel($conn);
$q = new AMQPQueue($ch);
$q->setName($queue);
$q->setFlags(AMQP_DURABLE);
$q->declareQueue();
$ex = new AMQPExchange($ch); // the default exchange
$body = str_repeat('x', 16);

$t = microtime(true);
if ($op === 'publish') {
    for ($i = 0; $i < $n; $i++) {
        $ex->publish($body, $queue);
    }
    $q->declareQueue();
} elseif ($op === 'publish-confirm') {
    $ch->confirmSelect();
    // waitForConfirm() returns when a callback returns false: when the last publish so far
    // is confirmed.
    $published = 0;
    $confirmed = 0;
    $ch->setConfirmCallback(function (int $tag, bool $multiple) use (&$confirmed, &$published) {
        $confirmed = $tag;
        return $confirmed < $published;
    }, function () {
        throw new RuntimeException('nacked');
    });
    for ($i = 0; $i < $n; $i++) {
        $ex->publish($body, $queue, AMQP_NOPARAM, ['delivery_mode' => 2]);
        $published++;
        if ($i % 1000 === 999) {
            $ch->waitForConfirm(30);
        }
    }
    if ($confirmed < $published) {
        $ch->waitForConfirm(30);
    }
} else {
    $ch->setPrefetchCount(1000);
    $got = 0;
    $q->consume(function (AMQPEnvelope $e, AMQPQueue $q) use (&$got, $n) {
        $q->ack($e->getDeliveryTag());
        return ++$got < $n;
    });
}
$seconds = microtime(true) - $t;
$conn->disconnect();
echo json_encode(['client' => 'PECL amqp', 'op' => $op, 'n' => $n, 'seconds' => $seconds]), "\n";
