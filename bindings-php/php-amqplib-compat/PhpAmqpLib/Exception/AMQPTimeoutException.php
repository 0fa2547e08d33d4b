<?php

namespace PhpAmqpLib\Exception;

/** A wait ran out of time; getTimeout() says how long it waited (seconds). */
class AMQPTimeoutException extends \RuntimeException implements AMQPExceptionInterface
{
    private $timeout;

    public function __construct($message = '', $timeout = 0, $code = 0, ?\Throwable $previous = null)
    {
        parent::__construct($message, $code, $previous);
        $this->timeout = $timeout;
    }

    public static function writeTimeout($timeout, $code = 0)
    {
        return new self('Error sending data. Connection timed out.', $timeout, $code);
    }

    public function getTimeout()
    {
        return $this->timeout;
    }
}
