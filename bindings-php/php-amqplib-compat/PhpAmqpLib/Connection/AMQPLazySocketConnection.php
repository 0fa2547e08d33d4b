<?php

namespace PhpAmqpLib\Connection;

/** php-amqplib's lazy variant of AMQPSocketConnection: connects on first use. */
class AMQPLazySocketConnection extends AMQPSocketConnection
{
    protected function setTarget(array $uris, array $options, int $heartbeat, float $readTimeout, float $rpcTimeout, bool $connectNow): void
    {
        parent::setTarget($uris, $options, $heartbeat, $readTimeout, $rpcTimeout, false);
    }

    public function connectOnConstruct(): bool
    {
        return false;
    }
}
