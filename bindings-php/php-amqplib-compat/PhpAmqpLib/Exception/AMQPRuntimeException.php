<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPRuntimeException, raised by the compatibility layer over the warren extension. */
class AMQPRuntimeException extends \RuntimeException implements AMQPExceptionInterface
{
}
