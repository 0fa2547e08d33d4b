<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPConnectionBlockedException, raised by the compatibility layer over the warren extension. */
class AMQPConnectionBlockedException extends AMQPRuntimeException
{
}
