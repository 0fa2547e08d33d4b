<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPChannelClosedException, raised by the compatibility layer over the warren extension. */
class AMQPChannelClosedException extends AMQPRuntimeException
{
}
