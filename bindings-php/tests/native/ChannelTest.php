<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Warren\Channel;
use Warren\Connection;
use Warren\Exception\AMQPException;
use Warren\Exception\ChannelException;
use Warren\Exception\ConnectionException;
use Warren\Exception\InvalidArgumentException;
use Warren\Exception\NackException;
use Warren\Exception\TimeoutException;
use Warren\Exception\UnroutableException;
use Warren\Message;

final class ChannelTest extends TestCase
{
    private Connection $conn;
    private Channel $ch;

    protected function setUp(): void
    {
        $this->conn = new Connection(warren_uri());
        $this->ch = $this->conn->channel();
    }

    protected function tearDown(): void
    {
        $this->conn->close();
    }

    private function getOne(string $queue, bool $noAck = false): Message
    {
        for ($i = 0; $i < 100; $i++) {
            $m = $this->ch->basicGet($queue, $noAck);
            if ($m !== null) {
                return $m;
            }
            usleep(10000);
        }
        $this->fail("no message in $queue");
    }

    public function testQueueDeclareReturnsNameAndCounts(): void
    {
        $name = unique_name('declare');
        $ok = $this->ch->queueDeclare($name, autoDelete: true);
        $this->assertSame(['name' => $name, 'messageCount' => 0, 'consumerCount' => 0], $ok);
        $this->ch->basicPublish('', $name, 'x');
        $this->ch->basicPublish('', $name, 'y');
        usleep(100000);
        $again = $this->ch->queueDeclare($name, passive: true);
        $this->assertSame(2, $again['messageCount']);
        $this->assertSame(2, $this->ch->queuePurge($name));
        $this->assertSame(0, $this->ch->queueDelete($name));
    }

    public function testServerNamedQueue(): void
    {
        $ok = $this->ch->queueDeclare('', exclusive: true);
        $this->assertStringStartsWith('amq.gen-', $ok['name']);
    }

    public function testPassiveDeclareOfAMissingQueueIsA404ChannelException(): void
    {
        try {
            $this->ch->queueDeclare(unique_name('missing'), passive: true);
            $this->fail('no exception');
        } catch (ChannelException $e) {
            $this->assertSame(404, $e->getReplyCode());
            $this->assertSame(404, $e->getCode());
            $this->assertStringContainsString('NOT_FOUND', $e->getReplyText());
            $this->assertSame(50, $e->getClassId());
            $this->assertSame(10, $e->getMethodId());
            $this->assertInstanceOf(AMQPException::class, $e);
        }
        $this->assertFalse($this->ch->isOpen());
        $this->assertTrue($this->conn->isConnected(), 'a soft error leaves the connection open');
        $this->expectException(ChannelException::class);
        $this->ch->queueDeclare('', exclusive: true);
    }

    public function testRedeclaringWithOtherFlagsIsA406(): void
    {
        $name = unique_name('equiv');
        $this->ch->queueDeclare($name, autoDelete: true);
        try {
            $this->ch->queueDeclare($name, durable: true);
            $this->fail('no exception');
        } catch (ChannelException $e) {
            $this->assertSame(406, $e->getReplyCode());
        }
        $this->conn->channel()->queueDelete($name);
    }

    public function testExchangesOfEveryTypeAndBindings(): void
    {
        $names = [];
        foreach (['direct', 'fanout', 'topic', 'headers'] as $type) {
            $names[$type] = unique_name("ex-$type");
            $this->ch->exchangeDeclare($names[$type], $type, autoDelete: false);
        }
        $q = $this->ch->queueDeclare('', exclusive: true)['name'];
        $this->ch->queueBind($q, $names['topic'], 'logs.*.error');
        $this->ch->exchangeBind($names['fanout'], $names['direct'], 'k');
        $this->ch->queueBind($q, $names['fanout']);
        $this->ch->queueBind($q, $names['headers'], '', ['x-match' => 'all', 'kind' => 'pic']);

        $this->ch->basicPublish($names['topic'], 'logs.web.error', 'topic');
        $this->ch->basicPublish($names['topic'], 'logs.web.info', 'dropped');
        $this->ch->basicPublish($names['direct'], 'k', 'via exchange binding');
        $this->ch->basicPublish($names['headers'], '', 'headers', ['headers' => ['kind' => 'pic']]);
        $bodies = [];
        for ($i = 0; $i < 3; $i++) {
            $bodies[] = $this->getOne($q, true)->body;
        }
        sort($bodies);
        $this->assertSame(['headers', 'topic', 'via exchange binding'], $bodies);
        $this->assertNull($this->ch->basicGet($q, true));

        $this->ch->queueUnbind($q, $names['topic'], 'logs.*.error');
        $this->ch->exchangeUnbind($names['fanout'], $names['direct'], 'k');
        $this->ch->basicPublish($names['topic'], 'logs.web.error', 'gone');
        $this->ch->basicPublish($names['direct'], 'k', 'gone');
        usleep(100000);
        $this->assertNull($this->ch->basicGet($q, true));
        foreach ($names as $n) {
            $this->ch->exchangeDelete($n);
        }
    }

    public function testPassiveExchangeDeclareOfAMissingExchange(): void
    {
        $this->expectException(ChannelException::class);
        $this->expectExceptionCode(404);
        $this->ch->exchangeDeclare(unique_name('none'), 'direct', passive: true);
    }

    public function testGetAckNackReject(): void
    {
        $q = $this->ch->queueDeclare('', exclusive: true)['name'];
        $this->ch->basicPublish('', $q, 'one');
        $m = $this->getOne($q);
        $this->assertSame('one', $m->body);
        $this->assertFalse($m->redelivered);
        $this->assertSame(0, $m->messageCount);
        $this->assertSame('', $m->consumerTag);
        $this->assertSame($q, $m->routingKey);
        $this->assertSame('', $m->exchange);
        $this->assertGreaterThan(0, $m->deliveryTag);
        $m->reject(true);
        $again = $this->getOne($q);
        $this->assertTrue($again->redelivered);
        $again->nack(true);
        $third = $this->getOne($q);
        $third->ack();
        $this->assertNull($this->ch->basicGet($q));
        $this->ch->basicPublish('', $q, 'dropped');
        $this->getOne($q)->nack(false);
        $this->assertNull($this->ch->basicGet($q));
    }

    public function testChannelLevelAckByTag(): void
    {
        $q = $this->ch->queueDeclare('', exclusive: true)['name'];
        foreach (['a', 'b', 'c'] as $b) {
            $this->ch->basicPublish('', $q, $b);
        }
        $this->getOne($q);
        $this->getOne($q);
        $last = $this->getOne($q);
        $this->ch->basicAck($last->deliveryTag, true);
        $this->ch->basicRecover(true);
        usleep(100000);
        $this->assertNull($this->ch->basicGet($q), 'all three were acked by multiple');
        $this->ch->basicPublish('', $q, 'd');
        $d = $this->getOne($q);
        $this->ch->basicNack($d->deliveryTag, false, true);
        $d = $this->getOne($q);
        $this->ch->basicReject($d->deliveryTag, false);
        $this->assertNull($this->ch->basicGet($q));
    }

    public function testAckingANoAckMessageIsRefused(): void
    {
        $q = $this->ch->queueDeclare('', exclusive: true)['name'];
        $this->ch->basicPublish('', $q, 'x');
        $m = $this->getOne($q, true);
        $this->expectException(AMQPException::class);
        $m->ack();
    }

    public function testUnknownDeliveryTagClosesTheChannelWith406(): void
    {
        $this->ch->basicAck(999);
        try {
            $this->ch->queueDeclare('', exclusive: true);
            $this->fail('no exception');
        } catch (ChannelException $e) {
            $this->assertSame(406, $e->getReplyCode());
        }
    }

    public function testNegativeDeliveryTagIsAnInvalidArgument(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->ch->basicAck(-1);
    }

    public function testQos(): void
    {
        $this->ch->basicQos(10);
        $this->ch->basicQos(5, true);
        $this->expectException(InvalidArgumentException::class);
        $this->ch->basicQos(70000);
    }

    public function testConfirmsAndNextPublishSeqNo(): void
    {
        $q = $this->ch->queueDeclare('', exclusive: true)['name'];
        $this->ch->confirmSelect();
        $this->assertSame(1, $this->ch->nextPublishSeqNo());
        for ($i = 0; $i < 100; $i++) {
            $this->ch->basicPublish('', $q, "m$i", ['delivery_mode' => 2]);
        }
        $this->assertSame(101, $this->ch->nextPublishSeqNo());
        $this->ch->waitForConfirms(10.0);
        $this->ch->waitForConfirms(); // nothing outstanding: returns at once
        $this->assertSame(100, $this->ch->queueDeclare($q, passive: true)['messageCount']);
    }

    public function testWaitForConfirmsWithoutConfirmModeIsRefused(): void
    {
        $this->expectException(AMQPException::class);
        $this->ch->waitForConfirms(1.0);
    }

    public function testNackedPublishIsANackException(): void
    {
        $q = $this->ch->queueDeclare('', exclusive: true, arguments: [
            'x-max-length' => 1, 'x-overflow' => 'reject-publish',
        ])['name'];
        $this->ch->confirmSelect();
        $this->ch->basicPublish('', $q, 'fits');
        $this->ch->basicPublish('', $q, 'overflows');
        $this->expectException(NackException::class);
        $this->ch->waitForConfirms(10.0);
    }

    public function testUnroutableMandatoryPublish(): void
    {
        $this->ch->confirmSelect();
        $this->ch->basicPublish('', unique_name('nowhere'), 'lost', [], true);
        try {
            $this->ch->waitForConfirms(10.0);
            $this->fail('no exception');
        } catch (UnroutableException $e) {
            $this->assertSame(312, $e->getReplyCode());
            $this->assertSame('NO_ROUTE', $e->getReplyText());
        }
        $seen = [];
        $this->ch->setReturnListener(function (int $code, string $text, string $exchange, string $key, Message $m) use (&$seen) {
            $seen[] = [$code, $text, $exchange, $key, $m->body, $m->properties['content_type'] ?? null];
        });
        $key = unique_name('nowhere');
        $this->ch->basicPublish('', $key, 'lost again', ['content_type' => 'text/plain'], true);
        $this->ch->waitForConfirms(10.0);
        $this->assertSame([[312, 'NO_ROUTE', '', $key, 'lost again', 'text/plain']], $seen);
    }

    public function testTransactions(): void
    {
        $q = $this->ch->queueDeclare('', exclusive: true)['name'];
        $this->ch->txSelect();
        $this->ch->basicPublish('', $q, 'rolled back');
        $this->ch->txRollback();
        $this->ch->basicPublish('', $q, 'committed');
        $this->ch->txCommit();
        $this->assertSame('committed', $this->getOne($q, true)->body);
        $this->assertNull($this->ch->basicGet($q, true));
    }

    public function testBinaryBodyRoundTrips(): void
    {
        $q = $this->ch->queueDeclare('', exclusive: true)['name'];
        $body = random_bytes(300000) . "\x00end";
        $this->ch->basicPublish('', $q, $body);
        $this->assertSame($body, $this->getOne($q, true)->body);
        $this->ch->basicPublish('', $q, '');
        $this->assertSame('', $this->getOne($q, true)->body);
    }

    public function testNameTooLongIsAnInvalidArgument(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->ch->queueDeclare(str_repeat('q', 256));
    }

    public function testUnknownPropertyIsRefused(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('unknown message property "contenttype"');
        $this->ch->basicPublish('', 'x', 'body', ['contenttype' => 'text/plain']);
    }

    public function testWaitForConfirmsTimesOut(): void
    {
        $this->expectException(TimeoutException::class);
        // A zero timeout with 2000 persistent publishes just written cannot have every
        // answer yet (each broker syncs them to disk first).
        $this->ch->confirmSelect();
        $q = $this->ch->queueDeclare('', exclusive: true)['name'];
        for ($i = 0; $i < 2000; $i++) {
            $this->ch->basicPublish('', $q, str_repeat('x', 1000), ['delivery_mode' => 2]);
        }
        $this->ch->waitForConfirms(0.0);
    }

    public function testHardErrorClosesTheConnection(): void
    {
        try {
            $this->ch->exchangeDeclare(unique_name('bad'), 'no-such-type');
            $this->fail('no exception');
        } catch (ConnectionException $e) {
            $this->assertSame(503, $e->getReplyCode());
            $this->assertSame(40, $e->getClassId());
            $this->assertSame(10, $e->getMethodId());
        }
    }
}
