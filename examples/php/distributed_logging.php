<?php
/**
 * Scenario 3, distributed logging: a topic exchange `logs`; routing keys
 * `server.module.action.level`; listeners on exclusive queues bound `server1.#`, `#.error`
 * and `*.auth.*.*` come and go without the publishers knowing.
 *
 *   php -d extension=target/release/libwarren_php.so examples/php/distributed_logging.php [URI] [--exchange logs]
 *
 * `--exchange` names the exchange (default `logs`), for brokers where a `logs` exchange of
 * another type already exists.
 */
declare(strict_types=1);
require __DIR__ . '/common.php';

use Warren\Connection;
use Warren\Message;

$uri = example_uri($argv);
$i = array_search('--exchange', $argv, true);
$exchange = $i === false ? 'logs' : (string) ($argv[$i + 1] ?? 'logs');
$conn = new Connection($uri);
$ch = $conn->channel();
$ch->exchangeDeclare($exchange, 'topic');

$bindings = ['server1.#', '#.error', '*.auth.*.*'];
$got = [];
foreach ($bindings as $pattern) {
    $q = $ch->queueDeclare('', exclusive: true)['name'];
    $ch->queueBind($q, $exchange, $pattern);
    $got[$pattern] = [];
    $ch->basicConsume($q, function (Message $m) use (&$got, $pattern) {
        $got[$pattern][] = $m->routingKey;
    }, ['no_ack' => true]);
}

$lines = [
    'server1.user.profile.info',
    'server1.auth.login.error',
    'server2.auth.logout.info',
    'server2.db.query.error',
    'server3.cache.evict.debug',
];
foreach ($lines as $key) {
    $ch->basicPublish($exchange, $key, "log line for $key", ['content_type' => 'text/plain']);
}
$expected = [
    'server1.#' => ['server1.auth.login.error', 'server1.user.profile.info'],
    '#.error' => ['server1.auth.login.error', 'server2.db.query.error'],
    '*.auth.*.*' => ['server1.auth.login.error', 'server2.auth.logout.info'],
];
$deadline = microtime(true) + 10;
while (array_sum(array_map('count', $got)) < 6 && microtime(true) < $deadline) {
    $ch->wait(0.5);
}
$ch->wait(0.2); // nothing more may arrive
foreach ($expected as $pattern => $keys) {
    sort($got[$pattern]);
    if ($got[$pattern] !== $keys) {
        example_fail('distributed_logging', "$pattern got " . json_encode($got[$pattern]));
    }
}
$ch->exchangeDelete($exchange);
$conn->close();
echo "OK: 5 log lines routed to 3 listeners by topic\n";
