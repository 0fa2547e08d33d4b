<?php

namespace PhpAmqpLib\Connection\Heartbeat;

/** php-amqplib's SIGHeartbeatSender: nothing to do over the warren extension (see AbstractSignalHeartbeatSender). */
final class SIGHeartbeatSender extends AbstractSignalHeartbeatSender
{
}
