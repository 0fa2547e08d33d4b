<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPInvalidArgumentException, raised by the compatibility layer over the warren extension. */
class AMQPInvalidArgumentException extends \RuntimeException implements AMQPExceptionInterface
{
}
