<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Warren\Connection;
use Warren\Exception\ChannelException;
use Warren\Message;

final class ConsumeTest extends TestCase
{
    private Connection $conn;

    protected function setUp(): void
    {
        $this->conn = new Connection(warren_uri());
    }

    protected function tearDown(): void
    {
        $this->conn->close();
    }

    public function testConsumeAndWaitDispatchesToTheCallback(): void
    {
        $ch = $this->conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        for ($i = 0; $i < 10; $i++) {
            $ch->basicPublish('', $q, "m$i", ['message_id' => "id$i"]);
        }
        $got = [];
        $tag = $ch->basicConsume($q, function (Message $m) use (&$got) {
            $got[] = [$m->body, $m->properties['message_id'], $m->redelivered];
            $m->ack();
        }, ['consumer_tag' => 'php-consumer']);
        $this->assertSame('php-consumer', $tag);
        $this->assertTrue($ch->isConsuming());
        while (count($got) < 10) {
            $this->assertTrue($ch->wait(5.0), 'a message within 5 s');
        }
        $this->assertSame(['m0', 'id0', false], $got[0]);
        $this->assertSame(['m9', 'id9', false], $got[9]);
        $ch->basicCancel($tag);
        $this->assertFalse($ch->isConsuming());
        $this->assertFalse($ch->wait(0.1), 'nothing consuming: false after the timeout');
        $t = microtime(true);
        $this->assertFalse($ch->wait(), 'nothing consuming and no time limit: false at once');
        $this->assertLessThan(0.5, microtime(true) - $t);
    }

    public function testWaitTimesOutWithFalse(): void
    {
        $ch = $this->conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        $ch->basicConsume($q, fn (Message $m) => $m->ack());
        $t = microtime(true);
        $this->assertFalse($ch->wait(0.3));
        $elapsed = microtime(true) - $t;
        $this->assertGreaterThanOrEqual(0.29, $elapsed);
        $this->assertLessThan(2.0, $elapsed);
    }

    public function testManyConsumersOnManyChannelsInOneWaitLoop(): void
    {
        $queues = [];
        $channels = [];
        $counts = [];
        for ($c = 0; $c < 4; $c++) {
            $ch = $this->conn->channel();
            $channels[] = $ch;
            for ($k = 0; $k < 3; $k++) {
                $q = $ch->queueDeclare('', exclusive: true)['name'];
                $queues[] = [$ch, $q];
                $counts[$q] = 0;
                $ch->basicConsume($q, function (Message $m) use (&$counts, $q) {
                    $counts[$q]++;
                    $m->ack();
                });
            }
        }
        $pub = $this->conn->channel();
        foreach ($queues as [, $q]) {
            for ($i = 0; $i < 20; $i++) {
                $pub->basicPublish('', $q, "x$i");
            }
        }
        $total = 0;
        $deadline = microtime(true) + 20;
        while ($total < 12 * 20 && microtime(true) < $deadline) {
            // Waiting on one channel serves the consumers of all of them.
            if ($channels[0]->wait(1.0)) {
                $total++;
            }
        }
        $this->assertSame(240, $total);
        foreach ($counts as $q => $n) {
            $this->assertSame(20, $n, "queue $q");
        }
        $this->assertTrue($this->conn->isConsuming());
    }

    public function testCallbackExceptionPropagatesOutOfWait(): void
    {
        $ch = $this->conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        $ch->basicPublish('', $q, 'boom');
        $calls = 0;
        $redelivered = null;
        $ch->basicConsume($q, function (Message $m) use (&$calls, &$redelivered) {
            $calls++;
            if ($calls === 1) {
                $m->nack(true);
                throw new DomainException('from the callback');
            }
            $redelivered = $m->redelivered;
            $m->ack();
        });
        try {
            $ch->wait(5.0);
            $this->fail('no exception');
        } catch (DomainException $e) {
            $this->assertSame('from the callback', $e->getMessage());
        }
        // The consumer goes on: the requeued message comes back, redelivered.
        $this->assertTrue($ch->wait(5.0));
        $this->assertSame(2, $calls);
        $this->assertTrue($redelivered);
    }

    public function testNoAckConsumer(): void
    {
        $ch = $this->conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        $ch->basicPublish('', $q, 'fire and forget');
        $got = null;
        $ch->basicConsume($q, function (Message $m) use (&$got) {
            $got = $m;
        }, ['no_ack' => true]);
        $this->assertTrue($ch->wait(5.0));
        $this->assertSame('fire and forget', $got->body);
        $this->assertSame(0, $ch->queueDeclare($q, passive: true)['messageCount']);
    }

    public function testBrokerCancelCallsOnCancel(): void
    {
        $ch = $this->conn->channel();
        $q = $ch->queueDeclare(unique_name('cancel'), autoDelete: false)['name'];
        $cancelled = null;
        $tag = $ch->basicConsume($q, fn (Message $m) => $m->ack(), [
            'on_cancel' => function (string $tag) use (&$cancelled) {
                $cancelled = $tag;
            },
        ]);
        $this->conn->channel()->queueDelete($q);
        $deadline = microtime(true) + 5;
        while ($cancelled === null && microtime(true) < $deadline) {
            $ch->wait(0.5);
        }
        $this->assertSame($tag, $cancelled);
        $this->assertFalse($ch->isConsuming());
    }

    public function testConsumerOptionsAndArguments(): void
    {
        $ch = $this->conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        $tag = $ch->basicConsume($q, fn (Message $m) => $m->ack(), [
            'exclusive' => true, 'arguments' => ['x-priority' => 5],
        ]);
        $this->assertNotSame('', $tag);
        $this->assertSame(1, $ch->queueDeclare($q, passive: true)['consumerCount']);
        $other = $this->conn->channel();
        try {
            $other->basicConsume($q, fn (Message $m) => null);
            $this->fail('no exception');
        } catch (ChannelException $e) {
            $this->assertSame(403, $e->getReplyCode());
        }
    }

    public function testNotCallableIsRefused(): void
    {
        $ch = $this->conn->channel();
        $this->expectException(Warren\Exception\InvalidArgumentException::class);
        $ch->basicConsume('q', 'no_such_function_anywhere');
    }

    public function testConsumingFromAMissingQueue(): void
    {
        $ch = $this->conn->channel();
        $this->expectException(ChannelException::class);
        $this->expectExceptionCode(404);
        $ch->basicConsume(unique_name('missing'), fn () => null);
    }

    public function testClosingTheChannelEndsItsConsumers(): void
    {
        $ch = $this->conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        $ch->basicConsume($q, fn (Message $m) => null);
        $this->assertTrue($ch->isConsuming());
        $ch->close();
        $this->assertFalse($ch->isConsuming());
    }
}
