<?php
// A worker that stops cleanly on SIGTERM or SIGINT: the handler sets a flag, wait() returns
// promptly, the loop ends, the connection closes. Prints "ready" once consuming.
declare(strict_types=1);

pcntl_async_signals(true);
$stop = null;
foreach ([SIGTERM, SIGINT] as $sig) {
    pcntl_signal($sig, function (int $s) use (&$stop) {
        $stop = $s;
    });
}
$conn = new Warren\Connection(getenv('WARREN_URI'));
$ch = $conn->channel();
$q = $ch->queueDeclare('', exclusive: true)['name'];
$ch->basicConsume($q, fn (Warren\Message $m) => $m->ack());
echo "ready\n";
while ($stop === null) {
    $ch->wait(); // no timeout: only the signal ends it
}
$conn->close();
echo "clean exit after signal $stop\n";
