<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPOutOfBoundsException, raised by the compatibility layer over the warren extension. */
class AMQPOutOfBoundsException extends \OutOfBoundsException implements AMQPExceptionInterface
{
}
