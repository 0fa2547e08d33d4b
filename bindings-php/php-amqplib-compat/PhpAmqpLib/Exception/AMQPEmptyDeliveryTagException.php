<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPEmptyDeliveryTagException, raised by the compatibility layer over the warren extension. */
class AMQPEmptyDeliveryTagException extends AMQPRuntimeException
{
}
