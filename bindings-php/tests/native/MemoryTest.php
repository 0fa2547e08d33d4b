<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Warren\Connection;
use Warren\Message;

/** Memory stays flat over 10,000 publish/consume/close loops. */
final class MemoryTest extends TestCase
{
    private function loops(Connection $conn, string $q, int $n): void
    {
        for ($i = 0; $i < $n; $i++) {
            $ch = $conn->channel();
            $ch->basicPublish('', $q, str_repeat('m', 256), ['headers' => ['i' => $i, 'when' => new DateTime()]]);
            $got = null;
            $ch->basicConsume($q, function (Message $m) use (&$got) {
                $got = $m->body . $m->headers['i'];
                $m->ack();
            });
            while ($got === null) {
                if (!$ch->wait(5.0)) {
                    $this->fail("no delivery in loop $i");
                }
            }
            $ch->close();
        }
    }

    public function testTenThousandLoopsKeepMemoryFlat(): void
    {
        $conn = new Connection(warren_uri());
        $setup = $conn->channel();
        $q = $setup->queueDeclare('', exclusive: true)['name'];
        $this->loops($conn, $q, 1000); // warm up: allocator pools, class caches
        gc_collect_cycles();
        $heap = memory_get_usage();
        $rss = rss_kib();
        $this->loops($conn, $q, 9000);
        gc_collect_cycles();
        $heapGrowth = memory_get_usage() - $heap;
        $rssGrowth = rss_kib() - $rss;
        $this->assertLessThan(256 * 1024, $heapGrowth, "PHP heap grew by $heapGrowth bytes over 9000 loops");
        $this->assertLessThan(8 * 1024, $rssGrowth, "RSS grew by $rssGrowth KiB over 9000 loops");
        $this->assertSame(0, $setup->queueDeclare($q, passive: true)['messageCount']);
        $conn->close();
    }
}
