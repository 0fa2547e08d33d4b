<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;

/**
 * php-amqplib's connection block handler: a warren-broker of its own, started with a memory
 * watermark of 0, blocks every connection that publishes.
 */
final class ConnectionEventsTest extends TestCase
{
    public function testTheBlockHandlerGetsTheReason(): void
    {
        $bin = getenv('WARREN_BROKER_BIN');
        if (!$bin || !is_executable($bin)) {
            $this->markTestSkipped('set WARREN_BROKER_BIN to a warren-broker binary');
        }
        $port = 20000 + (getmypid() + 15331) % 20000;
        $dir = sys_get_temp_dir() . '/warren-php-blocked-' . getmypid();
        @mkdir($dir);
        $broker = proc_open([$bin, '--listen', "127.0.0.1:$port", '--data-dir', $dir, '--memory-high-watermark', '0'],
            [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
        try {
            $deadline = microtime(true) + 10;
            while (microtime(true) < $deadline && !@fsockopen('127.0.0.1', $port)) {
                usleep(50000);
            }
            $conn = new AMQPStreamConnection('127.0.0.1', $port, 'guest', 'guest');
            $reasons = [];
            $conn->set_connection_block_handler(function ($reason) use (&$reasons) {
                $reasons[] = $reason;
            });
            $conn->set_connection_unblock_handler(function () {
            });
            $ch = $conn->channel();
            $ch->basic_publish(new AMQPMessage('x'), '', 'nowhere');
            $deadline = microtime(true) + 10;
            while ($reasons === [] && microtime(true) < $deadline) {
                $ch->wait(null, true);
                usleep(20000);
            }
            $this->assertSame(['low on memory'], $reasons);
            $this->assertTrue($conn->isBlocked());
            $conn->close();
        } finally {
            proc_terminate($broker, SIGKILL);
            proc_close($broker);
            exec('rm -rf ' . escapeshellarg($dir));
        }
    }
}
