<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPIOWaitException, raised by the compatibility layer over the warren extension. */
class AMQPIOWaitException extends AMQPRuntimeException
{
}
