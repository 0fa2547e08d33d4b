<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use PhpAmqpLib\Connection\AMQPConnectionConfig;
use PhpAmqpLib\Connection\AMQPConnectionFactory;
use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Exception\AMQPConnectionClosedException;
use PhpAmqpLib\Exception\AMQPIOException;
use PhpAmqpLib\Exception\AMQPProtocolChannelException;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Exchange\AMQPExchangeType;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

/** php-amqplib 3.x code on the compatibility layer. */
final class ChannelTest extends TestCase
{
    private AMQPStreamConnection $conn;
    private $ch;

    protected function setUp(): void
    {
        [$host, $port, $user, $pass, $vhost] = amqp_params();
        $this->conn = new AMQPStreamConnection($host, $port, $user, $pass, $vhost);
        $this->ch = $this->conn->channel();
    }

    protected function tearDown(): void
    {
        $this->conn->close();
    }

    public function testQueueDeclareReturnsTheTriple(): void
    {
        [$name, $messages, $consumers] = $this->ch->queue_declare('', false, false, true, true);
        $this->assertStringStartsWith('amq.gen-', $name);
        $this->assertSame([0, 0], [$messages, $consumers]);
        $this->assertNull($this->ch->queue_declare('', false, false, true, true, true));
    }

    /** Publishes reuse converted properties only while they are the same: never stale ones. */
    public function testEachPublishSendsItsOwnProperties(): void
    {
        [$q] = $this->ch->queue_declare('', false, false, true, true);
        $plain = ['content_type' => 'text/plain'];
        $headers = new AMQPTable(['step' => 1]);
        $sent = [
            new AMQPMessage('a', $plain),
            new AMQPMessage('b', $plain),
            new AMQPMessage('c', ['content_type' => 'text/csv', 'priority' => 3]),
            new AMQPMessage('d', $plain),
            new AMQPMessage('e', ['application_headers' => $headers]),
        ];
        foreach ($sent as $m) {
            $this->ch->basic_publish($m, '', $q);
        }
        // The same AMQPTable, changed in place: the next publish carries the change.
        $headers->set('step', 2);
        $this->ch->basic_publish(new AMQPMessage('f', ['application_headers' => $headers]), '', $q);
        $this->ch->basic_publish(new AMQPMessage('g'), '', $q);
        $got = [];
        for ($tries = 0; count($got) < 7 && $tries < 300; $tries++) {
            $m = $this->ch->basic_get($q, true);
            if ($m === null) {
                usleep(10000);
                continue;
            }
            $props = $m->get_properties();
            if (isset($props['application_headers'])) {
                $props['application_headers'] = $props['application_headers']->getNativeData();
            }
            $got[$m->body] = $props;
        }
        $this->assertSame([
            'a' => $plain,
            'b' => $plain,
            'c' => ['content_type' => 'text/csv', 'priority' => 3],
            'd' => $plain,
            'e' => ['application_headers' => ['step' => 1]],
            'f' => ['application_headers' => ['step' => 2]],
            'g' => [],
        ], $got);
    }

    public function testPublishGetAndMessageApi(): void
    {
        [$q] = $this->ch->queue_declare('', false, false, true, true);
        $headers = new AMQPTable(['x-origin' => 'test', 'n' => 3]);
        $msg = new AMQPMessage('{"image_id":1}', [
            'content_type' => 'application/json',
            'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT,
            'application_headers' => $headers,
            'not_a_property' => 'ignored',
        ]);
        $msg->set('correlation_id', 'c-1');
        $this->ch->basic_publish($msg, '', $q);
        usleep(100000);
        $got = $this->ch->basic_get($q);
        $this->assertInstanceOf(AMQPMessage::class, $got);
        $this->assertSame('{"image_id":1}', $got->getBody());
        $this->assertSame('{"image_id":1}', $got->body);
        $this->assertSame('application/json', $got->get('content_type'));
        $this->assertTrue($got->has('correlation_id'));
        $this->assertFalse($got->has('reply_to'));
        $this->assertSame(2, $got->get('delivery_mode'));
        $this->assertSame(['x-origin' => 'test', 'n' => 3], $got->get('application_headers')->getNativeData());
        $this->assertSame($q, $got->getRoutingKey());
        $this->assertSame('', $got->getExchange());
        $this->assertFalse($got->isRedelivered());
        $this->assertSame(0, $got->getMessageCount());
        $this->assertSame($this->ch, $got->delivery_info['channel']);
        $this->assertGreaterThan(0, $got->getDeliveryTag());
        $this->assertArrayNotHasKey('not_a_property', $got->get_properties());
        $got->ack();
        $this->assertNull($this->ch->basic_get($q));
        $this->expectException(LogicException::class);
        $got->ack();
    }

    public function testConsumeWithEightPositionalArgumentsAndIsConsuming(): void
    {
        $exchange = unique_name('logs');
        $this->ch->exchange_declare($exchange, AMQPExchangeType::TOPIC, false, false, true);
        [$q] = $this->ch->queue_declare('', false, false, true, true);
        $this->ch->queue_bind($q, $exchange, '#.error');
        foreach (['server1.user.profile.info', 'server1.auth.login.error', 'server2.db.query.error'] as $key) {
            $this->ch->basic_publish(new AMQPMessage($key), $exchange, $key);
        }
        $keys = [];
        $tag = $this->ch->basic_consume($q, '', false, false, false, false, function (AMQPMessage $m) use (&$keys) {
            $keys[] = $m->getRoutingKey();
            $m->ack();
            if (count($keys) === 2) {
                $m->getChannel()->basic_cancel($m->getConsumerTag());
            }
        });
        $this->assertTrue($this->ch->is_consuming());
        $this->assertArrayHasKey($tag, $this->ch->callbacks);
        while ($this->ch->is_consuming()) {
            $this->ch->wait(null, false, 5);
        }
        $this->assertSame(['server1.auth.login.error', 'server2.db.query.error'], $keys);
        $this->ch->exchange_delete($exchange);
    }

    public function testPlainArrayArgumentsAreTypePairsAsInPhpAmqplib(): void
    {
        [$q] = $this->ch->queue_declare('', false, false, true, true, false, ['x-max-length' => ['I', 1]]);
        $this->ch->basic_publish(new AMQPMessage('a', ['application_headers' => ['k' => ['S', 'v'], 'n' => ['l', 5]]]), '', $q);
        $this->ch->basic_publish(new AMQPMessage('b'), '', $q);
        usleep(100000);
        [, $count] = $this->ch->queue_declare($q, true);
        $this->assertSame(1, $count, 'x-max-length 1 applied');
        $this->assertSame('b', $this->ch->basic_get($q, true)->body);
        $this->ch->basic_publish(new AMQPMessage('c', ['application_headers' => ['k' => ['S', 'v'], 'n' => ['l', 5]]]), '', $q);
        usleep(100000);
        $this->assertSame(['k' => 'v', 'n' => 5], $this->ch->basic_get($q, true)->get('application_headers')->getNativeData());
    }

    public function testWaitTimeoutThrowsEvenWithoutConsumers(): void
    {
        $this->expectException(AMQPTimeoutException::class);
        $this->ch->wait(null, false, 0.2);
    }

    public function testWaitTimeoutThrows(): void
    {
        [$q] = $this->ch->queue_declare('', false, false, true, true);
        $this->ch->basic_consume($q, '', false, true, false, false, fn () => null);
        $this->expectException(AMQPTimeoutException::class);
        $this->ch->wait(null, false, 0.3);
    }

    public function testProtocolChannelException(): void
    {
        try {
            $this->ch->queue_declare(unique_name('missing'), true);
            $this->fail('no exception');
        } catch (AMQPProtocolChannelException $e) {
            $this->assertSame(404, $e->amqp_reply_code);
            $this->assertSame(404, $e->getCode());
            $this->assertSame([50, 10], $e->amqp_method_sig);
            $this->assertStringContainsString('NOT_FOUND', $e->getMessage());
        }
        $this->assertFalse($this->ch->is_open());
    }

    public function testConfirmHandlersAndPendingAcks(): void
    {
        [$q] = $this->ch->queue_declare('', false, false, true, true);
        $acked = [];
        $nacked = [];
        $this->ch->set_ack_handler(function (AMQPMessage $m) use (&$acked) {
            $acked[] = $m->body;
        });
        $this->ch->set_nack_handler(function (AMQPMessage $m) use (&$nacked) {
            $nacked[] = $m->body;
        });
        $this->ch->confirm_select();
        for ($i = 0; $i < 10; $i++) {
            $this->ch->basic_publish(new AMQPMessage("m$i"), '', $q);
        }
        $this->ch->wait_for_pending_acks(10);
        sort($acked);
        $this->assertSame(array_map(fn ($i) => "m$i", range(0, 9)), $acked);
        $this->assertSame([], $nacked);
    }

    public function testReturnListener(): void
    {
        $returned = [];
        $this->ch->set_return_listener(function ($code, $text, $exchange, $key, AMQPMessage $m) use (&$returned) {
            $returned[] = [$code, $text, $key, $m->body];
        });
        $this->ch->confirm_select();
        $key = unique_name('nowhere');
        $this->ch->basic_publish(new AMQPMessage('lost'), '', $key, true);
        $this->ch->wait_for_pending_acks_returns(10);
        $this->assertSame([[312, 'NO_ROUTE', $key, 'lost']], $returned);
    }

    public function testTransactionsAndBatch(): void
    {
        [$q] = $this->ch->queue_declare('', false, false, true, true);
        $this->ch->tx_select();
        $this->ch->batch_basic_publish(new AMQPMessage('a'), '', $q);
        $this->ch->batch_basic_publish(new AMQPMessage('b'), '', $q);
        $this->ch->publish_batch();
        $this->ch->tx_commit();
        $this->ch->basic_publish(new AMQPMessage('c'), '', $q);
        $this->ch->tx_rollback();
        $this->assertSame('a', $this->ch->basic_get($q, true)->body);
        $this->assertSame('b', $this->ch->basic_get($q, true)->body);
        $this->assertNull($this->ch->basic_get($q, true));
    }

    public function testFactoryAndConfig(): void
    {
        [$host, $port, $user, $pass, $vhost] = amqp_params();
        $config = new AMQPConnectionConfig();
        $config->setHost($host);
        $config->setPort((int) $port);
        $config->setUser($user);
        $config->setPassword($pass);
        $config->setVhost($vhost);
        $config->setHeartbeat(10);
        $config->setConnectionName('compat factory');
        $conn = AMQPConnectionFactory::create($config);
        $this->assertTrue($conn->isConnected());
        $this->assertSame(10, $conn->getHeartbeat());
        $conn->close();
        $this->assertFalse($conn->isConnected());
    }

    public function testConnectionErrors(): void
    {
        [$host, $port] = amqp_params();
        try {
            new AMQPStreamConnection($host, $port, 'guest', 'wrong');
            $this->fail('no exception');
        } catch (AMQPConnectionClosedException $e) {
            $this->assertSame(403, $e->getCode());
        }
        $this->expectException(AMQPIOException::class);
        new AMQPStreamConnection('127.0.0.1', 1, 'guest', 'guest');
    }
}
