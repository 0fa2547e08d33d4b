<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Warren\Channel;
use Warren\Connection;
use Warren\Exception\NackException;

/**
 * `setConfirmListener()`: every publish is answered exactly once with its outcome, and answers
 * that arrive together come in few calls (warren-broker acks each publish on its own;
 * the extension merges them before calling PHP).
 */
final class ConfirmListenerTest extends TestCase
{
    private Connection $conn;
    private Channel $ch;
    /** @var array<int, bool|null> outcome by sequence number (null: unanswered) */
    private array $outcomes = [];
    private int $calls = 0;

    protected function setUp(): void
    {
        $this->conn = new Connection(warren_uri());
        $this->ch = $this->conn->channel();
        $this->ch->confirmSelect();
        $this->ch->setConfirmListener(function (int $seq, bool $multiple, bool $ack) {
            $this->calls++;
            if (!$multiple) {
                $this->assertArrayHasKey($seq, $this->outcomes);
                $this->assertNull($this->outcomes[$seq], "publish $seq answered twice");
                $this->outcomes[$seq] = $ack;
                return;
            }
            $covered = 0;
            foreach ($this->outcomes as $s => $outcome) {
                if ($s <= $seq && $outcome === null) {
                    $this->outcomes[$s] = $ack;
                    $covered++;
                }
            }
            $this->assertGreaterThan(0, $covered, "a multiple answer up to $seq answered nothing new");
        });
    }

    protected function tearDown(): void
    {
        $this->conn->close();
    }

    private function publish(string $queue, int $n): void
    {
        for ($i = 0; $i < $n; $i++) {
            $seq = $this->ch->basicPublish('', $queue, "m$i");
            $this->outcomes[$seq] = null;
        }
    }

    public function testEveryPublishIsAnsweredOnceInFewCalls(): void
    {
        $q = $this->ch->queueDeclare('', exclusive: true)['name'];
        for ($batch = 0; $batch < 3; $batch++) {
            $this->publish($q, 1000);
            $this->ch->waitForConfirms(30.0);
        }
        $this->assertCount(3000, $this->outcomes);
        $this->assertSame([true], array_values(array_unique($this->outcomes, SORT_REGULAR)));
        $this->assertLessThan(100, $this->calls, "{$this->calls} listener calls for 3,000 publishes");
    }

    public function testNacksAreReportedAsNacks(): void
    {
        // A full queue that refuses publishes: the first 5 are acked, the rest nacked.
        $q = $this->ch->queueDeclare('', exclusive: true,
            arguments: ['x-max-length' => 5, 'x-overflow' => 'reject-publish'])['name'];
        $this->publish($q, 20);
        try {
            $this->ch->waitForConfirms(30.0);
            $this->fail('no NackException');
        } catch (NackException $e) {
        }
        $this->assertSame(array_fill(1, 5, true) + array_fill(6, 15, false), $this->outcomes);
        // And the next publishes, acked again, are told apart from the nacked ones.
        $this->ch->queuePurge($q);
        $this->publish($q, 3);
        $this->ch->waitForConfirms(30.0);
        $this->assertSame([true, true, true], array_slice($this->outcomes, 20, 3));
    }

    public function testAListenerSetAfterPublishingStillGetsEveryAnswer(): void
    {
        $q = $this->ch->queueDeclare('', exclusive: true)['name'];
        $this->ch->setConfirmListener(null);
        $this->ch->basicPublish('', $q, 'before');
        $this->ch->waitForConfirms(30.0);
        $seen = [];
        $this->ch->setConfirmListener(function (int $seq, bool $multiple, bool $ack) use (&$seen) {
            $seen[] = [$seq, $ack];
        });
        for ($i = 0; $i < 50; $i++) {
            $this->ch->basicPublish('', $q, "after $i");
        }
        $this->ch->waitForConfirms(30.0);
        $this->assertNotEmpty($seen);
        $this->assertSame(51, end($seen)[0], 'the last publish is answered');
        $this->assertSame([true], array_values(array_unique(array_column($seen, 1))));
    }
}
