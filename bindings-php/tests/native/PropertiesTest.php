<?php

declare(strict_types=1);

require_once __DIR__ . '/../fixtures.php';

use PHPUnit\Framework\TestCase;
use Warren\Connection;
use Warren\Exception\InvalidArgumentException;
use Warren\Properties;

/** `Warren\Properties`: built once, published many times, and given back by received messages. */
final class PropertiesTest extends TestCase
{
    public function testBuildsFromAnArrayAndReadsBack(): void
    {
        $p = new Properties(property_fixture() + ['headers' => ['x' => 1, 'y' => 'two']]);
        $expected = property_fixture();
        $this->assertSame('application/json', $p->get('content_type'));
        $this->assertSame(2, $p->get('delivery_mode'));
        $this->assertSame(['x' => 1, 'y' => 'two'], $p->get('headers'));
        $this->assertSame(['x' => 1, 'y' => 'two'], $p->get('application_headers'));
        $this->assertTrue($p->has('reply_to'));
        $array = $p->toArray();
        $this->assertSame(['x' => 1, 'y' => 'two'], $array['headers']);
        unset($array['headers']);
        ksort($array);
        ksort($expected);
        $this->assertSame($expected, $array);

        $empty = new Properties();
        $this->assertSame([], $empty->toArray());
        $this->assertNull($empty->get('priority'));
        $this->assertFalse($empty->has('priority'));
    }

    public function testWithReturnsAChangedCopy(): void
    {
        $p = new Properties(['content_type' => 'text/plain', 'priority' => 1]);
        $q = $p->with('priority', 9)->with('content_type', null)->with('application_headers', ['k' => true]);
        $this->assertSame(['content_type' => 'text/plain', 'priority' => 1], $p->toArray());
        $this->assertSame(['headers' => ['k' => true], 'priority' => 9], $q->toArray());
    }

    public function testRefusesUnknownNamesAndBadValues(): void
    {
        foreach ([
            fn () => new Properties(['colour' => 'red']),
            fn () => new Properties(['timestamp' => 'yesterday']),
            fn () => new Properties(['delivery_mode' => 300]),
            fn () => (new Properties())->get('colour'),
            fn () => (new Properties())->with('priority', []),
        ] as $i => $f) {
            try {
                $f();
                $this->fail("case $i did not throw");
            } catch (InvalidArgumentException $e) {
                $this->assertNotSame('', $e->getMessage());
            }
        }
    }

    public function testPublishedAndReceivedAsAnObject(): void
    {
        $conn = new Connection(warren_uri());
        $ch = $conn->channel();
        $q = unique_name('props');
        $ch->queueDeclare($q, exclusive: true);
        $props = new Properties(property_fixture() + ['headers' => ['n' => 42, 'list' => [1, 'a']]]);
        for ($i = 0; $i < 3; $i++) {
            $ch->basicPublish('', $q, "m$i", $props);
        }
        // Arrays still work, and null means none.
        $ch->basicPublish('', $q, 'array', ['content_type' => 'text/plain']);
        $ch->basicPublish('', $q, 'none', null);
        $got = [];
        for ($tries = 0; count($got) < 5 && $tries < 200; $tries++) {
            $m = $ch->basicGet($q, true);
            if ($m === null) {
                usleep(10000);
                continue;
            }
            $got[] = $m;
        }
        $this->assertCount(5, $got);
        foreach (array_slice($got, 0, 3) as $m) {
            $this->assertInstanceOf(Properties::class, $m->getProperties());
            $this->assertEquals($props->toArray(), $m->getProperties()->toArray());
            $this->assertSame($m->properties, $m->getProperties()->toArray());
            $this->assertSame('guest', $m->getProperties()->get('user_id'));
        }
        $this->assertSame(['content_type' => 'text/plain'], $got[3]->getProperties()->toArray());
        $this->assertSame([], $got[4]->getProperties()->toArray());

        // A received message's properties publish again as they are.
        $ch->basicPublish('', $q, 'again', $got[0]->getProperties());
        $again = null;
        for ($tries = 0; $again === null && $tries < 200; $tries++) {
            $again = $ch->basicGet($q, true) ?? (usleep(10000) ?: null);
        }
        $this->assertNotNull($again);
        $this->assertSame($got[0]->properties, $again->properties);

        try {
            $ch->basicPublish('', $q, 'bad', new ArrayObject([]));
            $this->fail('an object other than Warren\Properties was accepted');
        } catch (InvalidArgumentException $e) {
            $this->assertStringContainsString('Warren\Properties', $e->getMessage());
        }
        $conn->close();
    }

    public function testConfirmModePublishReturnsItsSequenceNumber(): void
    {
        $conn = new Connection(warren_uri());
        $ch = $conn->channel();
        $q = unique_name('seq');
        $ch->queueDeclare($q, exclusive: true);
        $this->assertSame(0, $ch->basicPublish('', $q, 'before confirm mode'));
        $ch->confirmSelect();
        $this->assertSame(1, $ch->basicPublish('', $q, 'a'));
        $this->assertSame(2, $ch->basicPublish('', $q, 'b', new Properties(['priority' => 1])));
        $this->assertSame(3, $ch->nextPublishSeqNo());
        $ch->waitForConfirms(10.0);
        $conn->close();
    }
}
