<?php

namespace PhpAmqpLib\Exception;

/** php-amqplib's AMQPHeartbeatMissedException, raised by the compatibility layer over the warren extension. */
class AMQPHeartbeatMissedException extends AMQPConnectionClosedException
{
}
