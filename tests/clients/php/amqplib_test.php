<?php
/**
 * Cross-client tests: php-amqplib (Debian's php-amqplib package) against the broker under test.
 *
 * The broker is chosen by WARREN_TEST_URI (default amqp://guest:guest@127.0.0.1:5672/%2f, a
 * local RabbitMQ), the same variable the Rust end-to-end suite reads:
 *
 *     WARREN_TEST_URI=amqp://guest:guest@127.0.0.1:5673/%2f php tests/clients/php/amqplib_test.php
 *
 * A plain script: each test gets its own connection, failures are collected, the last line is
 * "php-amqplib: N passed, N failed" and the exit code is non-zero if any test failed. Every wait
 * is bounded; queues and exchanges are uniquely named and exclusive, auto-delete or deleted.
 */

declare(strict_types=1);

$autoload = null;
foreach (['/usr/share/php/PhpAmqpLib/autoload.php', __DIR__ . '/vendor/autoload.php'] as $candidate) {
    if (is_file($candidate)) {
        $autoload = $candidate;
        break;
    }
}
if ($autoload === null) {
    fwrite(STDERR, "php-amqplib not found: apt-get install php-amqplib\n");
    exit(2);
}
require_once $autoload;

use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Exception\AMQPProtocolChannelException;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

const WAIT = 10.0; // the longest any single step may wait for the broker, in seconds

$uri = getenv('WARREN_TEST_URI') ?: 'amqp://guest:guest@127.0.0.1:5672/%2f';

/** Parses an AMQP URI the way RabbitMQ's URI spec reads it. */
function parse_amqp_uri(string $uri): array
{
    $parts = parse_url($uri);
    if ($parts === false || ($parts['scheme'] ?? '') !== 'amqp') {
        throw new InvalidArgumentException("not an amqp:// URI: $uri");
    }
    $path = $parts['path'] ?? '';
    return [
        'host' => $parts['host'] ?? '127.0.0.1',
        'port' => (int)($parts['port'] ?? 5672),
        'user' => isset($parts['user']) ? urldecode($parts['user']) : 'guest',
        'password' => isset($parts['pass']) ? urldecode($parts['pass']) : 'guest',
        // "/" or "" is the default vhost "/"; otherwise the rest of the path, percent-decoded.
        'vhost' => ($path === '' || $path === '/') ? '/' : urldecode(substr($path, 1)),
    ];
}

function connect(array $overrides = []): AMQPStreamConnection
{
    global $uri;
    $c = array_merge(parse_amqp_uri($uri), ['login_method' => 'AMQPLAIN'], $overrides);
    return new AMQPStreamConnection(
        $c['host'], $c['port'], $c['user'], $c['password'], $c['vhost'],
        false,              // insist
        $c['login_method'],
        null,               // login_response
        'en_US',
        5.0,                // connection_timeout
        WAIT,               // read_write_timeout
        null,               // context
        false,              // keepalive
        0,                  // heartbeat
        WAIT                // channel_rpc_timeout
    );
}

class CheckFailed extends Exception {}

function check(bool $condition, string $what): void
{
    if (!$condition) {
        throw new CheckFailed($what);
    }
}

function same($expected, $actual, string $what): void
{
    if ($expected !== $actual) {
        throw new CheckFailed($what . ': expected ' . var_export($expected, true) . ', got ' . var_export($actual, true));
    }
}

/** $array with the keys of every nested associative array sorted. */
function ksort_deep(array $array): array
{
    foreach ($array as $k => $v) {
        if (is_array($v)) {
            $array[$k] = ksort_deep($v);
        }
    }
    if (array_keys($array) !== range(0, count($array) - 1)) {
        ksort($array);
    }
    return $array;
}

function unique(string $prefix): string
{
    return sprintf('warren-php.%s.%d.%s', $prefix, getmypid(), bin2hex(random_bytes(4)));
}

function temp_queue(AMQPChannel $ch, string $prefix): string
{
    $name = unique($prefix);
    [$declared] = $ch->queue_declare($name, false, false, true, false);
    same($name, $declared, 'queue.declare-ok names the queue');
    return $name;
}

function message_count(AMQPChannel $ch, string $queue): int
{
    [, $count] = $ch->queue_declare($queue, true);
    return (int)$count;
}

/** Consumes until $n deliveries arrived (or WAIT passes); acks each one unless $ack is false. */
function consume_n(AMQPChannel $ch, string $queue, int $n, bool $ack = true): array
{
    $got = [];
    $tag = $ch->basic_consume($queue, '', false, false, false, false,
        function (AMQPMessage $msg) use (&$got, $ack) {
            $got[] = $msg;
            if ($ack) {
                $msg->ack();
            }
        });
    $deadline = microtime(true) + WAIT;
    while (count($got) < $n && microtime(true) < $deadline) {
        try {
            $ch->wait(null, false, 0.2);
        } catch (PhpAmqpLib\Exception\AMQPTimeoutException $e) {
            // nothing arrived in this slice; keep waiting until the deadline
        }
    }
    $ch->basic_cancel($tag);
    same($n, count($got), "deliveries from $queue within " . WAIT . ' s');
    return $got;
}

$tests = [];

$tests['connect with AMQPLAIN and PLAIN; server properties'] = function () {
    foreach (['AMQPLAIN', 'PLAIN'] as $mechanism) {
        $conn = connect(['login_method' => $mechanism]);
        check($conn->isConnected(), "connected with $mechanism");
        $props = $conn->getServerProperties();
        check(isset($props['capabilities']), 'server properties carry capabilities');
        $conn->close();
    }
};

$tests['wrong password is refused'] = function () {
    try {
        $conn = connect(['password' => 'not-the-password']);
        $conn->close();
    } catch (PhpAmqpLib\Exception\AMQPConnectionClosedException $e) {
        check(str_contains($e->getMessage(), 'ACCESS_REFUSED'), 'refused with ACCESS_REFUSED: ' . $e->getMessage());
        return;
    }
    throw new CheckFailed('a wrong password was accepted');
};

$tests['publish, consume with manual ack'] = function () {
    $conn = connect();
    $ch = $conn->channel();
    $q = temp_queue($ch, 'consume');
    for ($i = 0; $i < 5; $i++) {
        $ch->basic_publish(new AMQPMessage("job $i", [
            'content_type' => 'text/plain',
            'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT,
            'correlation_id' => "c$i",
            'application_headers' => new AMQPTable(['attempt' => $i, 'source' => 'php-amqplib']),
        ]), '', $q);
    }
    $got = consume_n($ch, $q, 5);
    foreach ($got as $i => $msg) {
        same("job $i", $msg->getBody(), "body $i");
        same('text/plain', $msg->get('content_type'), "content_type $i");
        same(AMQPMessage::DELIVERY_MODE_PERSISTENT, $msg->get('delivery_mode'), "delivery_mode $i");
        same("c$i", $msg->get('correlation_id'), "correlation_id $i");
        same(['attempt' => $i, 'source' => 'php-amqplib'], $msg->get('application_headers')->getNativeData(), "headers $i");
        same($q, $msg->getRoutingKey(), "routing key $i");
        same(false, (bool)$msg->isRedelivered(), "redelivered $i");
    }
    same(0, message_count($ch, $q), 'messages left after acking every delivery');
    $conn->close();
};

$tests['unacked delivery is requeued when its channel closes'] = function () {
    $conn = connect();
    $ch = $conn->channel();
    $q = unique('requeue');
    $ch->queue_declare($q, false, false, false, false);
    try {
        $ch->basic_publish(new AMQPMessage('unacked'), '', $q);
        consume_n($ch, $q, 1, false);
        $ch->close();
        $ch2 = $conn->channel();
        $msg = $ch2->basic_get($q);
        check($msg !== null, 'the unacked message came back after its channel closed');
        same('unacked', $msg->getBody(), 'requeued body');
        same(true, (bool)$msg->isRedelivered(), 'requeued message is marked redelivered');
        $msg->ack();
    } finally {
        $conn->channel()->queue_delete($q);
        $conn->close();
    }
};

$tests['nack requeues, reject drops'] = function () {
    $conn = connect();
    $ch = $conn->channel();
    $q = temp_queue($ch, 'nack');
    $ch->confirm_select();
    $ch->basic_publish(new AMQPMessage('again'), '', $q);
    $ch->wait_for_pending_acks(WAIT);
    $msg = $ch->basic_get($q);
    $msg->nack(true);
    $msg = $ch->basic_get($q);
    check($msg !== null && $msg->getBody() === 'again', 'nacked message requeued');
    same(true, (bool)$msg->isRedelivered(), 'requeued message is marked redelivered');
    $msg->reject(false);
    same(0, message_count($ch, $q), 'rejected message dropped');
    $conn->close();
};

$tests['basic.get'] = function () {
    $conn = connect();
    $ch = $conn->channel();
    $q = temp_queue($ch, 'get');
    same(null, $ch->basic_get($q), 'basic.get on an empty queue');
    $ch->confirm_select();
    foreach (['first', 'second', 'third'] as $body) {
        $ch->basic_publish(new AMQPMessage($body, ['message_id' => $body]), '', $q);
    }
    $ch->wait_for_pending_acks(WAIT);
    $msg = $ch->basic_get($q);
    same('first', $msg->getBody(), 'first get');
    same('first', $msg->get('message_id'), 'message_id');
    same(2, $msg->getMessageCount(), 'get-ok message_count (messages still ready)');
    $msg->ack();
    $msg = $ch->basic_get($q, true);
    same('second', $msg->getBody(), 'second get (no_ack)');
    $msg = $ch->basic_get($q, true);
    same('third', $msg->getBody(), 'third get (no_ack)');
    same(null, $ch->basic_get($q), 'queue empty again');
    $conn->close();
};

$tests['publisher confirms and mandatory returns'] = function () {
    $conn = connect();
    $ch = $conn->channel();
    $q = temp_queue($ch, 'confirms');
    $acked = 0;
    $nacked = 0;
    $returned = [];
    $ch->set_ack_handler(function () use (&$acked) { $acked++; });
    $ch->set_nack_handler(function () use (&$nacked) { $nacked++; });
    $ch->set_return_listener(function ($code, $text, $exchange, $key, AMQPMessage $msg) use (&$returned) {
        $returned[] = [$code, $key, $msg->getBody()];
    });
    $ch->confirm_select();
    for ($i = 0; $i < 20; $i++) {
        $ch->basic_publish(new AMQPMessage("m$i"), '', $q);
    }
    $ch->wait_for_pending_acks_returns(WAIT);
    same(20, $acked, 'acks for 20 routed publishes');
    same(0, $nacked, 'nacks');
    $nowhere = unique('nowhere');
    $ch->basic_publish(new AMQPMessage('lost'), '', $nowhere, true);
    $ch->wait_for_pending_acks_returns(WAIT);
    same([[312, $nowhere, 'lost']], $returned, 'unroutable mandatory publish returned (312 NO_ROUTE)');
    same(21, $acked, 'the returned publish is still acked');
    same(20, message_count($ch, $q), 'messages in the queue');
    $conn->close();
};

$tests['transactions: rollback discards, commit publishes'] = function () {
    $conn = connect();
    $ch = $conn->channel();
    $q = temp_queue($ch, 'tx');
    $ch->tx_select();
    $ch->basic_publish(new AMQPMessage('rolled back'), '', $q);
    $ch->tx_rollback();
    same(0, message_count($ch, $q), 'after rollback');
    $ch->basic_publish(new AMQPMessage('committed'), '', $q);
    same(0, message_count($ch, $q), 'before commit');
    $ch->tx_commit();
    same(1, message_count($ch, $q), 'after commit');
    $conn->close();
};

$tests['fanout: one upload, three services (the talk\'s image upload)'] = function () {
    $conn = connect();
    $ch = $conn->channel();
    $exchange = unique('upload-pictures');
    $ch->exchange_declare($exchange, 'fanout', false, false, true);
    $queues = [];
    foreach (['resize-picture', 'reward-user', 'notify-friends'] as $service) {
        $queues[$service] = temp_queue($ch, $service);
        $ch->queue_bind($queues[$service], $exchange);
    }
    $uploads = [];
    for ($i = 0; $i < 6; $i++) {
        $uploads[] = ['user_id' => 100 + $i, 'image_id' => $i, 'image_path' => "/tmp/img$i.jpg"];
    }
    $ch->confirm_select();
    foreach ($uploads as $event) {
        $ch->basic_publish(new AMQPMessage(json_encode($event), [
            'content_type' => 'application/json',
            'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT,
        ]), $exchange);
    }
    $ch->wait_for_pending_acks(WAIT);
    foreach ($queues as $service => $q) {
        $got = consume_n($ch, $q, count($uploads));
        $events = array_map(fn(AMQPMessage $m) => json_decode($m->getBody(), true), $got);
        same($uploads, $events, "$service received every upload in order");
        foreach ($got as $m) {
            same($exchange, $m->getExchange(), "$service delivery names the exchange");
        }
        same(0, message_count($ch, $q), "$service queue drained");
    }
    $ch->exchange_delete($exchange);
    $conn->close();
};

$tests['nowait declares, binds and consume'] = function () {
    // With nowait the broker must not answer (php-amqplib would misread a stray -ok);
    // a synchronous round trip afterwards proves the channel is still in step.
    $conn = connect();
    $ch = $conn->channel();
    $exchange = unique('nowait-ex');
    $q = unique('nowait-q');
    $ch->exchange_declare($exchange, 'direct', false, false, true, false, true);
    $ch->queue_declare($q, false, false, true, false, true);
    $ch->queue_bind($q, $exchange, 'key', true);
    [, $count] = $ch->queue_declare($q, true);
    same(0, (int)$count, 'passive declare after nowait declares');
    $ch->confirm_select();
    $ch->basic_publish(new AMQPMessage('routed'), $exchange, 'key');
    $ch->wait_for_pending_acks(WAIT);
    $got = [];
    $ch->basic_consume($q, 'nowait-consumer', false, true, false, true, function (AMQPMessage $m) use (&$got) {
        $got[] = $m->getBody();
    });
    $deadline = microtime(true) + WAIT;
    while (!$got && microtime(true) < $deadline) {
        try {
            $ch->wait(null, false, 0.2);
        } catch (PhpAmqpLib\Exception\AMQPTimeoutException $e) {
        }
    }
    same(['routed'], $got, 'delivery to a nowait consumer');
    $ch->queue_delete($q);
    $ch->exchange_delete($exchange);
    $conn->close();
};

$tests['channel error closes only the channel'] = function () {
    $conn = connect();
    $ch = $conn->channel();
    try {
        $ch->queue_declare(unique('missing'), true);
        throw new CheckFailed('passive declare of a missing queue succeeded');
    } catch (AMQPProtocolChannelException $e) {
        same(404, $e->getCode(), 'reply code');
    }
    check($conn->isConnected(), 'connection still open');
    $ch2 = $conn->channel();
    $q = temp_queue($ch2, 'after-error');
    $ch2->confirm_select();
    $ch2->basic_publish(new AMQPMessage('ok'), '', $q);
    $ch2->wait_for_pending_acks(WAIT);
    same('ok', $ch2->basic_get($q, true)->getBody(), 'new channel works');
    $conn->close();
};

$tests['empty body, every basic property, header field types'] = function () {
    $conn = connect();
    $ch = $conn->channel();
    $q = temp_queue($ch, 'props');
    $ch->confirm_select();
    $ch->basic_publish(new AMQPMessage(''), '', $q);
    $headers = [
        'text' => 'héllo ✓',
        'int' => 42,
        'negative' => -7,
        'big' => 1099511627776,
        'true' => true,
        'false' => false,
        'array' => [1, 'two', [3]],
        'table' => ['nested' => ['deeper' => 'yes'], 'n' => 1],
    ];
    $props = [
        'content_type' => 'application/octet-stream',
        'content_encoding' => 'gzip',
        'delivery_mode' => 2,
        'priority' => 5,
        'correlation_id' => 'corr-1',
        'reply_to' => 'reply-queue',
        'expiration' => '600000',
        'message_id' => 'msg-1',
        'timestamp' => 1700000000,
        'type' => 'example.type',
        'user_id' => parse_amqp_uri($GLOBALS['uri'])['user'],
        'app_id' => 'warren-tests',
    ];
    $ch->basic_publish(new AMQPMessage("\x00\x01\xff", $props + ['application_headers' => new AMQPTable($headers)]), '', $q);
    $ch->wait_for_pending_acks(WAIT);
    $empty = $ch->basic_get($q, true);
    check($empty !== null, 'a message with an empty body was lost');
    same('', $empty->getBody(), 'empty body');
    [$msg] = consume_n($ch, $q, 1);
    same("\x00\x01\xff", $msg->getBody(), 'binary body');
    foreach ($props as $name => $value) {
        same($value, $msg->get($name), "property $name");
    }
    $got = $msg->get('application_headers')->getNativeData();
    same(ksort_deep($headers), ksort_deep($got), 'headers (keys compared in any order)');
    $conn->close();
};

$tests['header field types come back as published'] = function () {
    // Each value with an explicit AMQP field type (php-amqplib's RabbitMQ type table); the
    // broker must deliver the same type tag and value, not just an equal-looking value.
    $C = PhpAmqpLib\Wire\AMQPAbstractCollection::class;
    $candidates = [
        'shortshort' => [-5, $C::T_INT_SHORTSHORT],
        'shortshort_u' => [200, $C::T_INT_SHORTSHORT_U],
        'short' => [-300, $C::T_INT_SHORT],
        'short_u' => [60000, $C::T_INT_SHORT_U],
        'long' => [-70000, $C::T_INT_LONG],
        'long_u' => [4000000000, $C::T_INT_LONG_U],
        'longlong' => [-5000000000, $C::T_INT_LONGLONG],
        'decimal' => [new PhpAmqpLib\Wire\AMQPDecimal(1234, 2), $C::T_DECIMAL],
        'timestamp' => [1700000000, $C::T_TIMESTAMP],
        'void' => [null, $C::T_VOID],
        'bool' => [true, $C::T_BOOL],
        'longstr' => ['long string', $C::T_STRING_LONG],
        'bytes' => ["\x00\xffbytes", $C::T_BYTES],
    ];
    $table = new AMQPTable();
    $sent = [];
    foreach ($candidates as $key => [$value, $type]) {
        try {
            $table->set($key, $value, $type);
            $sent[$key] = [$type, $value];
        } catch (PhpAmqpLib\Exception\AMQPOutOfRangeException | PhpAmqpLib\Exception\AMQPInvalidArgumentException $e) {
            // not in this protocol flavour's type table
        }
    }
    check(count($sent) >= 9, 'php-amqplib accepted at least 9 explicit field types, got ' . implode(',', array_keys($sent)));
    $conn = connect();
    $ch = $conn->channel();
    $q = temp_queue($ch, 'header-types');
    $ch->confirm_select();
    $ch->basic_publish(new AMQPMessage('x', ['application_headers' => $table]), '', $q);
    $ch->wait_for_pending_acks(WAIT);
    $msg = $ch->basic_get($q, true);
    check($msg !== null, 'the message arrived');
    $types = [];
    foreach ($msg->get('application_headers') as $key => [$type, $raw]) {
        $types[$key] = $type;
    }
    $expected = $table->getNativeData();
    $actual = $msg->get('application_headers')->getNativeData();
    foreach ($sent as $key => [$type, $value]) {
        check(array_key_exists($key, $actual), "header $key missing");
        same($type, $types[$key], "type of header $key");
        if (is_object($expected[$key])) {
            check($expected[$key] == $actual[$key], "value of header $key: " . var_export($actual[$key], true));
        } else {
            same($expected[$key], $actual[$key], "value of header $key");
        }
    }
    same(count($sent), count($actual), 'number of headers');
    $conn->close();
};

$tests['header table keys keep their published order'] = function () {
    // RabbitMQ delivers the content header exactly as it was published; PHP arrays compare
    // (===) and iterate in key order, so reordering is visible to applications.
    $conn = connect();
    $ch = $conn->channel();
    $q = temp_queue($ch, 'header-order');
    $ch->confirm_select();
    $headers = ['zulu' => 1, 'alpha' => 2, 'mike' => ['yankee' => 'y', 'bravo' => 'b']];
    $ch->basic_publish(new AMQPMessage('x', ['application_headers' => new AMQPTable($headers)]), '', $q);
    $ch->wait_for_pending_acks(WAIT);
    $msg = $ch->basic_get($q, true);
    check($msg !== null, 'the message arrived');
    same($headers, $msg->get('application_headers')->getNativeData(), 'headers, in published order');
    $conn->close();
};

$tests['basic.qos prefetch limits unacked deliveries'] = function () {
    $conn = connect();
    $ch = $conn->channel();
    $q = temp_queue($ch, 'qos');
    $ch->confirm_select();
    for ($i = 0; $i < 4; $i++) {
        $ch->basic_publish(new AMQPMessage("$i"), '', $q);
    }
    $ch->wait_for_pending_acks(WAIT);
    $ch->basic_qos(0, 2, false);
    $pending = [];
    $ch->basic_consume($q, '', false, false, false, false, function (AMQPMessage $m) use (&$pending) {
        $pending[] = $m;
    });
    $deadline = microtime(true) + 1.0;
    while (microtime(true) < $deadline) {
        try {
            $ch->wait(null, false, 0.2);
        } catch (PhpAmqpLib\Exception\AMQPTimeoutException $e) {
        }
    }
    same(2, count($pending), 'deliveries unacked with prefetch_count=2');
    $pending[1]->ack(true);
    $deadline = microtime(true) + WAIT;
    while (count($pending) < 4 && microtime(true) < $deadline) {
        try {
            $ch->wait(null, false, 0.2);
        } catch (PhpAmqpLib\Exception\AMQPTimeoutException $e) {
        }
    }
    same(4, count($pending), 'deliveries after acking the first two');
    same(['0', '1', '2', '3'], array_map(fn($m) => $m->getBody(), $pending), 'bodies in order');
    $pending[3]->ack(true);
    $conn->close();
};

$passed = 0;
$failed = 0;
echo "php-amqplib against $uri\n";
foreach ($tests as $name => $test) {
    $start = microtime(true);
    try {
        $test();
        $passed++;
        printf("ok   %s (%.2f s)\n", $name, microtime(true) - $start);
    } catch (Throwable $e) {
        $failed++;
        printf("FAIL %s (%.2f s): %s: %s\n", $name, microtime(true) - $start, get_class($e), $e->getMessage());
    }
}
echo "php-amqplib: $passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
