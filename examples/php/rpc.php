<?php
/**
 * RPC, for "the developer in the other team": a server consumes `rpc-requests` and answers
 * to each request's `reply_to` with its `correlation_id`; the client calls it over
 * RabbitMQ's direct reply-to with Warren\RpcClient. The server runs in a forked child.
 *
 *   php -d extension=target/release/libwarren_php.so examples/php/rpc.php [URI] [--calls 10]
 */
declare(strict_types=1);
require __DIR__ . '/common.php';

use Warren\Connection;
use Warren\Message;

$uri = example_uri($argv);
$calls = example_option($argv, 'calls', 10);
$queue = 'rpc-requests-php-' . getmypid();

$setup = new Connection($uri);
$setup->channel()->queueDeclare($queue, autoDelete: true);

$pid = pcntl_fork();
if ($pid === 0) {
    // The server: its own connection (the parent's belongs to the parent).
    $conn = new Connection($uri);
    $ch = $conn->channel();
    $served = 0;
    $ch->basicConsume($queue, function (Message $m) use ($ch, &$served) {
        $n = (int) $m->body;
        $ch->basicPublish('', $m->properties['reply_to'], (string) ($n * $n), [
            'correlation_id' => $m->properties['correlation_id'] ?? '',
        ]);
        $m->ack();
        $served++;
    });
    $idle = 0;
    while ($idle < 30) {
        $idle = $ch->wait(0.1) ? 0 : $idle + 1;
    }
    $conn->close();
    exit($served > 0 ? 0 : 1);
}

$client = (new Connection($uri))->rpcClient();
for ($i = 1; $i <= $calls; $i++) {
    $reply = $client->call('', $queue, (string) $i, ['content_type' => 'text/plain'], 10.0);
    if ($reply->body !== (string) ($i * $i)) {
        example_fail('rpc', "square of $i came back as {$reply->body}");
    }
}
pcntl_waitpid($pid, $status);
$setup->close();
if (!pcntl_wifexited($status) || pcntl_wexitstatus($status) !== 0) {
    example_fail('rpc', 'the server process failed');
}
echo "OK: $calls RPC calls answered over direct reply-to\n";
