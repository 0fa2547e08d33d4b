<?php

namespace Warren\Compat;

use PhpAmqpLib\Exception;
use Warren\Exception as Native;

/**
 * The one place where the warren extension's exceptions become php-amqplib's. The native
 * exception is kept as the previous one.
 *
 * @internal
 */
final class Errors
{
    /** @param bool $connecting whether the failure happened while opening the connection */
    public static function translate(Native\AMQPException $e, bool $connecting = false): \Throwable
    {
        $code = $e->getReplyCode();
        $sig = [$e->getClassId(), $e->getMethodId()];
        switch (true) {
            case $e instanceof Native\TimeoutException:
                return new Exception\AMQPTimeoutException($e->getMessage(), 0, 0, $e);
            case $e instanceof Native\ChannelException:
                return $code > 0
                    ? new Exception\AMQPProtocolChannelException($code, $e->getReplyText(), $sig, $e)
                    : new Exception\AMQPChannelClosedException($e->getMessage(), 0, $e);
            case $e instanceof Native\AuthenticationException:
                return new Exception\AMQPConnectionClosedException($e->getMessage(), 403, $e);
            case $e instanceof Native\ConnectionException:
                if ($code > 0) {
                    return new Exception\AMQPConnectionClosedException($e->getReplyText(), $code, $e);
                }
                return $connecting
                    ? new Exception\AMQPIOException($e->getMessage(), 0, $e)
                    : new Exception\AMQPConnectionClosedException($e->getMessage(), 0, $e);
            case $e instanceof Native\InvalidArgumentException:
                return new Exception\AMQPInvalidArgumentException($e->getMessage(), 0, $e);
            default:
                return new Exception\AMQPRuntimeException($e->getMessage(), $code, $e);
        }
    }
}
