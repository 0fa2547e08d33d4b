<?php
// Consumes a durable queue and prints each body; no reconnection code at all. Stops after
// "stop" arrives or 60 s.
declare(strict_types=1);

$conn = new Warren\Connection(getenv('WARREN_URI'), ['heartbeat' => 2, 'recovery_interval' => 0.2]);
$ch = $conn->channel();
$queue = $argv[1];
$ch->queueDeclare($queue, durable: true);
$ch->basicQos(5);
$done = false;
$ch->basicConsume($queue, function (Warren\Message $m) use (&$done) {
    echo $m->body, "\n";
    $m->ack();
    $done = $m->body === 'stop';
});
echo "ready\n";
$deadline = microtime(true) + 60;
while (!$done && microtime(true) < $deadline) {
    $ch->wait(0.5);
}
$conn->close();
