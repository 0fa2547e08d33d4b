<?php

namespace PhpAmqpLib\Connection;

/** php-amqplib's lazy variant of AMQPSSLConnection: connects on first use. */
class AMQPLazySSLConnection extends AMQPSSLConnection
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
