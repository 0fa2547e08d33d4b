<?php

declare(strict_types=1);

require_once '/usr/share/php/PhpAmqpLib/autoload.php';
require_once __DIR__ . '/../fixtures.php';

use PHPUnit\Framework\TestCase;
use PhpAmqpLib\Wire\AMQPDecimal;
use Warren\Connection;
use Warren\Exception\InvalidArgumentException;
use Warren\Message;

/**
 * Headers, field tables and properties: native ⇄ native, and with php-amqplib as the peer in
 * both directions (byte-exact).
 */
final class FieldTableTest extends TestCase
{
    private Connection $conn;
    private Warren\Channel $ch;
    private string $q;

    protected function setUp(): void
    {
        $this->conn = new Connection(warren_uri());
        $this->ch = $this->conn->channel();
        $this->q = $this->ch->queueDeclare(unique_name('fields'), autoDelete: false)['name'];
    }

    protected function tearDown(): void
    {
        $this->conn->channel()->queueDelete($this->q);
        $this->conn->close();
    }

    private function getOne(): Message
    {
        for ($i = 0; $i < 200; $i++) {
            $m = $this->ch->basicGet($this->q, true);
            if ($m !== null) {
                return $m;
            }
            usleep(10000);
        }
        $this->fail('no message');
    }

    /** What php-amqplib's getNativeData() gives for header_fixture(), made plain. */
    private static function expectedNative(): array
    {
        $e = plain(header_fixture());
        $e['float'] = '1.5';
        $e['float_third'] = strval(1 / 3);
        $e['sparse'] = ['1' => 'x', '3' => 'y'];
        return $e;
    }

    public function testEveryPropertyRoundTripsNatively(): void
    {
        $props = property_fixture();
        $props['headers'] = ['k' => 'v'];
        $this->ch->basicPublish('', $this->q, 'body', $props);
        $m = $this->getOne();
        $expected = property_fixture();
        $expected['headers'] = ['k' => 'v'];
        ksort($expected);
        $got = $m->properties;
        ksort($got);
        $this->assertSame($expected, $got);
        $this->assertSame(['k' => 'v'], $m->headers);
    }

    public function testPropertiesAcceptPhpAmqplibsHeaderNameAndDateTime(): void
    {
        $this->ch->basicPublish('', $this->q, 'b', [
            'application_headers' => ['a' => 1],
            'timestamp' => new DateTimeImmutable('@1234567890'),
            'expiration' => 60000,
        ]);
        $m = $this->getOne();
        $this->assertSame(['a' => 1], $m->headers);
        $this->assertSame(1234567890, $m->properties['timestamp']);
        $this->assertSame('60000', $m->properties['expiration']);
        $this->assertSame([], $this->publishAndGet([])->headers);
    }

    private function publishAndGet(array $props): Message
    {
        $this->ch->basicPublish('', $this->q, 'x', $props);
        return $this->getOne();
    }

    public function testEveryPhpTypeRoundTripsNatively(): void
    {
        $m = $this->publishAndGet(['headers' => header_fixture()]);
        $this->assertSame(self::expectedNative(), plain($m->headers));
        $this->assertInstanceOf(DateTime::class, $m->headers['when']);
        $this->assertInstanceOf(AMQPDecimal::class, $m->headers['decimal']);
    }

    public function testTypedTablesKeepTheirTypes(): void
    {
        $m = $this->publishAndGet(['headers' => typed_fixture()]);
        $this->assertSame(typed_fixture_native(), plain($m->headers));
    }

    public function testValuesWithoutAnAmqpTypeAreRefused(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->ch->basicPublish('', $this->q, 'x', ['headers' => ['obj' => new stdClass()]]);
    }

    public function testRecursiveArraysAreRefused(): void
    {
        $a = ['x' => 1];
        $a['self'] = &$a;
        $this->expectException(InvalidArgumentException::class);
        $this->ch->basicPublish('', $this->q, 'x', ['headers' => $a]);
    }

    public function testQueueArgumentsAreFieldTables(): void
    {
        $q = $this->ch->queueDeclare('', exclusive: true, arguments: ['x-max-length' => 2, 'x-message-ttl' => 60000])['name'];
        foreach (['a', 'b', 'c'] as $b) {
            $this->ch->basicPublish('', $q, $b);
        }
        usleep(100000);
        $this->assertSame(2, $this->ch->queueDeclare($q, passive: true)['messageCount']);
    }

    public function testPhpAmqplibToNative(): void
    {
        amqplib_peer('publish.php', [
            'queue' => $this->q, 'body' => bin2hex("\x00binary body"),
            'properties' => property_fixture(), 'headers' => 'fixture',
        ]);
        $m = $this->getOne();
        $this->assertSame("\x00binary body", $m->body);
        $props = $m->properties;
        unset($props['headers']);
        ksort($props);
        $expected = property_fixture();
        ksort($expected);
        $this->assertSame($expected, $props);
        $this->assertSame(self::expectedNative(), plain($m->headers));
    }

    public function testPhpAmqplibTypedTableToNative(): void
    {
        amqplib_peer('publish.php', ['queue' => $this->q, 'body' => '', 'headers' => 'typed']);
        $this->assertSame(typed_fixture_native(false), plain($this->getOne()->headers));
    }

    public function testNativeToPhpAmqplibIsByteExact(): void
    {
        $this->ch->basicPublish('', $this->q, "\x00body", property_fixture() + ['headers' => header_fixture()]);
        $got = amqplib_peer('get.php', ['queue' => $this->q]);
        $want = amqplib_peer('encode.php', ['headers' => 'fixture']);
        $this->assertSame($want['hex'], $got['headers_hex'], 'the table php-amqplib received is the one it sends');
        $this->assertSame(bin2hex("\x00body"), $got['body']);
        $props = $got['properties'];
        ksort($props);
        $expected = property_fixture();
        ksort($expected);
        $this->assertSame($expected, $props);
    }

    public function testNativeTypedTableToPhpAmqplibIsByteExact(): void
    {
        $this->ch->basicPublish('', $this->q, 'typed', ['headers' => typed_fixture(false)]);
        $got = amqplib_peer('get.php', ['queue' => $this->q]);
        $want = amqplib_peer('encode.php', ['headers' => 'typed']);
        $this->assertSame($want['hex'], $got['headers_hex']);
    }
}
