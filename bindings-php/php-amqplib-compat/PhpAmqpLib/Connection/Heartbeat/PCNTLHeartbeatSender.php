<?php

namespace PhpAmqpLib\Connection\Heartbeat;

/** php-amqplib's PCNTLHeartbeatSender: nothing to do over the warren extension (see AbstractSignalHeartbeatSender). */
final class PCNTLHeartbeatSender extends AbstractSignalHeartbeatSender
{
}
