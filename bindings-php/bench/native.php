<?php
/**
 * The same loops on the extension's native API:
 *
 *   php -d extension=... native.php publish|publish-confirm|consume|fill|purge URI N [QUEUE]
 */
declare(strict_types=1);

[, $op, $uri, $n] = $argv + [null, null, null, null];
$queue = $argv[4] ?? 'bench-php';
$n = (int) $n;
$conn = new Warren\Connection($uri);
$ch = $conn->channel();
$ch->queueDeclare($queue, durable: true);
$body = str_repeat('x', 16);

if ($op === 'purge') {
    $ch->queuePurge($queue);
    $conn->close();
    exit(0);
}
$t = microtime(true);
if ($op === 'publish' || $op === 'fill') {
    for ($i = 0; $i < $n; $i++) {
        $ch->basicPublish('', $queue, $body);
    }
    $ch->queueDeclare($queue, passive: true);
} elseif ($op === 'publish-confirm') {
    $ch->confirmSelect();
    // Checked and converted once, as a publisher that sends many messages alike does.
    $props = new Warren\Properties(['delivery_mode' => 2]);
    for ($i = 0; $i < $n; $i++) {
        $ch->basicPublish('', $queue, $body, $props);
        if ($i % 1000 === 999) {
            $ch->waitForConfirms(30.0);
        }
    }
    $ch->waitForConfirms(30.0);
} else {
    $ch->basicQos(1000);
    $got = 0;
    $tag = '';
    $tag = $ch->basicConsume($queue, function (Warren\Message $m) use (&$got, $n, $ch, &$tag) {
        $m->ack();
        if (++$got === $n) {
            $ch->basicCancel($tag);
        }
    });
    while ($ch->isConsuming()) {
        $ch->wait(30.0);
    }
}
$seconds = microtime(true) - $t;
$conn->close();
if ($op !== 'fill') {
    echo json_encode(['client' => 'warren (native)', 'op' => $op, 'n' => $n, 'seconds' => $seconds]), "\n";
}
