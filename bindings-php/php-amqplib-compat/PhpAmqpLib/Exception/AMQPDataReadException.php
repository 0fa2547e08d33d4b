<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPDataReadException, raised by the compatibility layer over the warren extension. */
class AMQPDataReadException extends AMQPRuntimeException
{
}
