<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPInvalidFrameException, raised by the compatibility layer over the warren extension. */
class AMQPInvalidFrameException extends AMQPRuntimeException
{
}
