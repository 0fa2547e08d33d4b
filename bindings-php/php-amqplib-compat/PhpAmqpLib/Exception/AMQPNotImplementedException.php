<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPNotImplementedException, raised by the compatibility layer over the warren extension. */
class AMQPNotImplementedException extends \RuntimeException implements AMQPExceptionInterface
{
}
