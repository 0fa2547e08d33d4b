<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPLogicException, raised by the compatibility layer over the warren extension. */
class AMQPLogicException extends \LogicException implements AMQPExceptionInterface
{
}
