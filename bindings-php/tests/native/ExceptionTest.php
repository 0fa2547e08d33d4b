<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Warren\Exception;

/** The exception classes: hierarchy, PHP's own constructor, and the AMQP fields. */
final class ExceptionTest extends TestCase
{
    public static function hierarchy(): array
    {
        return [
            [Exception\AMQPException::class, RuntimeException::class],
            [Exception\ConnectionException::class, Exception\AMQPException::class],
            [Exception\ChannelException::class, Exception\AMQPException::class],
            [Exception\AuthenticationException::class, Exception\ConnectionException::class],
            [Exception\TimeoutException::class, Exception\AMQPException::class],
            [Exception\NackException::class, Exception\AMQPException::class],
            [Exception\UnroutableException::class, Exception\AMQPException::class],
            [Exception\InvalidArgumentException::class, Exception\AMQPException::class],
        ];
    }

    /** @dataProvider hierarchy */
    public function testHierarchy(string $class, string $parent): void
    {
        $this->assertTrue(is_subclass_of($class, $parent), "$class extends $parent");
        $e = new $class('made in PHP', 7);
        $this->assertSame('made in PHP', $e->getMessage());
        $this->assertSame(7, $e->getCode());
        $this->assertSame(__LINE__ - 3, $e->getLine());
        $this->assertSame(0, $e->getReplyCode());
        $this->assertSame('', $e->getReplyText());
        $this->assertSame(0, $e->getClassId());
        $this->assertSame(0, $e->getMethodId());
    }

    public function testThrownExceptionsCarryATrace(): void
    {
        try {
            new Warren\Connection('not a uri');
            $this->fail('no exception');
        } catch (Exception\InvalidArgumentException $e) {
            $this->assertSame(__LINE__ - 3, $e->getLine());
            $this->assertStringContainsString(__FUNCTION__, $e->getTraceAsString());
        }
    }
}
