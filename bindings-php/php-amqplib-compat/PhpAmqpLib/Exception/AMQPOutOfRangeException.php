<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPOutOfRangeException, raised by the compatibility layer over the warren extension. */
class AMQPOutOfRangeException extends \OutOfRangeException implements AMQPExceptionInterface
{
}
