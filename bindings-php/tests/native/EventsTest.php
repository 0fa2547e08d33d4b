<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Warren\Connection;

/**
 * Connection events reach PHP: `setEventListener()` gets blocked (a warren-broker of its own
 * started with a memory watermark of 0 blocks every publisher) and the recovery events (the
 * same broker killed with -9 and restarted).
 */
final class EventsTest extends TestCase
{
    private $broker;
    private int $port;
    private string $dir;

    private function startBroker(array $args = []): void
    {
        $bin = getenv('WARREN_BROKER_BIN');
        if (!$bin || !is_executable($bin)) {
            $this->markTestSkipped('set WARREN_BROKER_BIN to a warren-broker binary');
        }
        $this->port ??= 20000 + (getmypid() + 7919) % 20000;
        $this->dir ??= sys_get_temp_dir() . '/warren-php-events-' . getmypid();
        @mkdir($this->dir);
        $this->broker = proc_open(array_merge([$bin, '--listen', "127.0.0.1:{$this->port}", '--data-dir', $this->dir], $args),
            [1 => ['file', '/dev/null', 'w'], 2 => ['file', "{$this->dir}.log", 'a']], $pipes);
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline && !@fsockopen('127.0.0.1', $this->port)) {
            usleep(50000);
        }
    }

    private function killBroker(): void
    {
        if (is_resource($this->broker)) {
            proc_terminate($this->broker, SIGKILL);
            proc_close($this->broker);
        }
    }

    protected function tearDown(): void
    {
        $this->killBroker();
        if (isset($this->dir)) {
            exec('rm -rf ' . escapeshellarg($this->dir) . ' ' . escapeshellarg("{$this->dir}.log"));
        }
    }

    /** Runs wait() until $done(events) holds or $timeout seconds pass. */
    private static function waitForEvents(Connection $conn, array &$events, callable $done, float $timeout): void
    {
        $deadline = microtime(true) + $timeout;
        while (!$done($events) && microtime(true) < $deadline) {
            $conn->wait(0.1);
        }
    }

    public function testABlockedConnectionIsReported(): void
    {
        $this->startBroker(['--memory-high-watermark', '0']);
        $conn = new Connection("amqp://guest:guest@127.0.0.1:{$this->port}/%2f");
        $events = [];
        $conn->setEventListener(function (string $event, array $details) use (&$events) {
            $events[] = [$event, $details];
        });
        $ch = $conn->channel();
        // The broker blocks a connection when it publishes during an alarm.
        $ch->basicPublish('', 'nowhere', 'x');
        self::waitForEvents($conn, $events, fn ($e) => $e !== [], 10.0);
        $this->assertSame([['blocked', ['reason' => 'low on memory']]], $events);
        $this->assertTrue($conn->isBlocked());
        $conn->setEventListener(null);
        $conn->close();
    }

    public function testRecoveryIsReported(): void
    {
        $this->startBroker();
        $conn = new Connection("amqp://guest:guest@127.0.0.1:{$this->port}/%2f", ['recovery_interval' => 0.2]);
        $events = [];
        $conn->setEventListener(function (string $event, array $details) use (&$events) {
            $events[] = $event;
        });
        $this->killBroker();
        usleep(300000);
        $this->startBroker();
        self::waitForEvents($conn, $events, fn ($e) => in_array('recovered', $e, true), 20.0);
        $this->assertSame('connection_lost', $events[0] ?? null, json_encode($events));
        $this->assertContains('recovery_started', $events);
        $this->assertSame('recovered', end($events));
        // The connection works again.
        $ch = $conn->channel();
        $this->assertSame(0, $ch->queueDeclare(unique_name('after'), exclusive: true)['messageCount']);
        $conn->close();
    }

    public function testTheListenerMustBeCallable(): void
    {
        $conn = new Connection(warren_uri());
        $this->expectException(Warren\Exception\InvalidArgumentException::class);
        try {
            $conn->setEventListener('no such function');
        } finally {
            $conn->close();
        }
    }
}
