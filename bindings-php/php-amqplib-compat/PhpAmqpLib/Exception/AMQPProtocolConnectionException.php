<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPProtocolConnectionException. */
class AMQPProtocolConnectionException extends AMQPProtocolException
{
}
