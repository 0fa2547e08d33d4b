<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Warren\Connection;
use Warren\Exception\AMQPException;
use Warren\Exception\AuthenticationException;
use Warren\Exception\ConnectionException;
use Warren\Exception\InvalidArgumentException;

final class ConnectionTest extends TestCase
{
    public function testConnectsAndCloses(): void
    {
        $c = new Connection(warren_uri());
        $this->assertTrue($c->isConnected());
        $this->assertTrue($c->isOpen());
        $this->assertFalse($c->isBlocked());
        $props = $c->serverProperties();
        $this->assertArrayHasKey('product', $props);
        $this->assertArrayHasKey('capabilities', $props);
        $this->assertTrue($props['capabilities']['publisher_confirms']);
        $c->close();
        $this->assertFalse($c->isConnected());
        $this->assertFalse($c->isOpen());
        $c->close(); // closing twice is fine
    }

    public function testUsingAClosedConnectionThrows(): void
    {
        $c = new Connection(warren_uri());
        $c->close();
        $this->expectException(ConnectionException::class);
        $c->channel();
    }

    public function testMetricsCountPublishes(): void
    {
        $c = new Connection(warren_uri());
        $ch = $c->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        for ($i = 0; $i < 5; $i++) {
            $ch->basicPublish('', $q, "m$i");
        }
        $ch->confirmSelect();
        $ch->basicPublish('', $q, 'last');
        $ch->waitForConfirms(10.0);
        $m = $c->metrics();
        $this->assertSame(6, $m['published']);
        $this->assertSame(1, $m['confirmed']);
        $this->assertArrayHasKey('recoveries', $m);
        $c->close();
    }

    public function testBadUriIsAnInvalidArgument(): void
    {
        try {
            new Connection('http://localhost/');
            $this->fail('no exception');
        } catch (InvalidArgumentException $e) {
            $this->assertInstanceOf(AMQPException::class, $e);
            $this->assertInstanceOf(RuntimeException::class, $e);
            $this->assertStringContainsString('scheme', $e->getMessage());
            $this->assertSame(__FILE__, $e->getFile(), 'the exception points at the caller');
        }
    }

    public function testUnknownOptionIsRefused(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('unknown connection option "heartbeet"');
        new Connection(warren_uri(), ['heartbeet' => 10]);
    }

    public function testConnectionRefused(): void
    {
        $this->expectException(ConnectionException::class);
        new Connection('amqp://guest:guest@127.0.0.1:1/%2f', ['connection_timeout' => 2, 'recovery' => false]);
    }

    public function testWrongPasswordIsAnAuthenticationException(): void
    {
        $u = parse_url(warren_uri());
        $uri = sprintf('amqp://guest:wrong-password@%s:%d/%%2f', $u['host'], $u['port'] ?? 5672);
        try {
            new Connection($uri, ['recovery' => false]);
            $this->fail('no exception');
        } catch (AuthenticationException $e) {
            $this->assertInstanceOf(ConnectionException::class, $e);
        }
    }

    public function testAListOfUrisUsesTheFirstThatAccepts(): void
    {
        $c = new Connection(['amqp://guest:guest@127.0.0.1:1/%2f', warren_uri()], ['connection_timeout' => 2]);
        $this->assertTrue($c->isConnected());
        $c->close();
    }

    public function testOptionsAreApplied(): void
    {
        $c = new Connection(warren_uri(), [
            'heartbeat' => 7,
            'connection_name' => 'php options test',
            'client_properties' => ['team' => 'php'],
            'rpc_timeout' => 30,
            'recovery' => true,
        ]);
        $this->assertTrue($c->isConnected());
        $c->close();
    }

    public function testBadOptionTypeIsRefused(): void
    {
        $this->expectException(InvalidArgumentException::class);
        new Connection(warren_uri(), ['heartbeat' => 'often']);
    }

    public function testChannelsAreNumbered(): void
    {
        $c = new Connection(warren_uri());
        $a = $c->channel();
        $b = $c->channel();
        $this->assertNotSame($a->id(), $b->id());
        $this->assertTrue($a->isOpen());
        $a->close();
        $this->assertFalse($a->isOpen());
        $a->close(); // closing twice is fine
        $c->close();
    }

    public function testChannelsComeFromAConnectionOnly(): void
    {
        $this->expectException(Throwable::class);
        new Warren\Channel();
    }
}
