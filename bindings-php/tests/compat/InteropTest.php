<?php

declare(strict_types=1);

require_once __DIR__ . '/../fixtures.php';

use PHPUnit\Framework\TestCase;
use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

/** The compatibility layer and real php-amqplib (in another process) exchange messages byte-exactly. */
final class InteropTest extends TestCase
{
    private AMQPStreamConnection $conn;
    private $ch;
    private string $q;

    protected function setUp(): void
    {
        [$host, $port, $user, $pass, $vhost] = amqp_params();
        $this->conn = new AMQPStreamConnection($host, $port, $user, $pass, $vhost);
        $this->ch = $this->conn->channel();
        $this->q = unique_name('compat-interop');
        $this->ch->queue_declare($this->q, false, false, false, false);
    }

    protected function tearDown(): void
    {
        $this->ch->queue_delete($this->q);
        $this->conn->close();
    }

    private function getOne(): AMQPMessage
    {
        for ($i = 0; $i < 200; $i++) {
            $m = $this->ch->basic_get($this->q, true);
            if ($m !== null) {
                return $m;
            }
            usleep(10000);
        }
        $this->fail('no message');
    }

    public function testHeadersPublishedByTheLayerAreWhatPhpAmqplibSends(): void
    {
        $this->ch->basic_publish(new AMQPMessage('x', property_fixture() + [
            'application_headers' => new AMQPTable(header_fixture()),
        ]), '', $this->q);
        $got = amqplib_peer('get.php', ['queue' => $this->q]);
        $this->assertSame(amqplib_peer('encode.php', ['headers' => 'fixture'])['hex'], $got['headers_hex']);
        ksort($got['properties']);
        $want = property_fixture();
        ksort($want);
        $this->assertSame($want, $got['properties']);
    }

    public function testTypedTablesRoundTripThroughTheLayerUnchanged(): void
    {
        amqplib_peer('publish.php', ['queue' => $this->q, 'body' => bin2hex('typed'), 'headers' => 'typed']);
        $m = $this->getOne();
        $headers = $m->get('application_headers');
        $this->assertInstanceOf(AMQPTable::class, $headers);
        $this->assertSame(typed_fixture_native(false), plain($headers->getNativeData()));
        // Re-published as received: the same bytes php-amqplib would send.
        $this->ch->basic_publish(new AMQPMessage('again', ['application_headers' => $headers]), '', $this->q);
        $got = amqplib_peer('get.php', ['queue' => $this->q]);
        $this->assertSame(amqplib_peer('encode.php', ['headers' => 'typed'])['hex'], $got['headers_hex']);
    }
}
