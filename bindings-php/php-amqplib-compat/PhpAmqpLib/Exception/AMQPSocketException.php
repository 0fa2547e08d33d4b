<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPSocketException, raised by the compatibility layer over the warren extension. */
class AMQPSocketException extends AMQPRuntimeException
{
}
