<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPNoDataException, raised by the compatibility layer over the warren extension. */
class AMQPNoDataException extends AMQPRuntimeException
{
}
