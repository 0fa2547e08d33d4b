<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPProtocolChannelException. */
class AMQPProtocolChannelException extends AMQPProtocolException
{
}
