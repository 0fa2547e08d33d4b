<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPIOException, raised by the compatibility layer over the warren extension. */
class AMQPIOException extends \Exception implements AMQPExceptionInterface
{
}
