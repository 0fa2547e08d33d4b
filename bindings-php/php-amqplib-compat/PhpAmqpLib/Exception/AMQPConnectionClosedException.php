<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPConnectionClosedException, raised by the compatibility layer over the warren extension. */
class AMQPConnectionClosedException extends AMQPRuntimeException
{
}
