<?php

namespace PhpAmqpLib\Connection;

/** php-amqplib's factory: a connection from an AMQPConnectionConfig. */
class AMQPConnectionFactory
{
    public static function create(AMQPConnectionConfig $config): AbstractConnection
    {
        if ($config->getIoType() === AMQPConnectionConfig::IO_TYPE_SOCKET && $config->isSecure()) {
            throw new \LogicException('The socket connection implementation does not support secure connections.');
        }
        $class = $config->isLazy() ? AMQPLazyConnection::class : AMQPStreamConnection::class;
        return new $class(
            $config->getHost(),
            $config->getPort(),
            $config->getUser(),
            $config->getPassword(),
            $config->getVhost(),
            $config->isInsist(),
            $config->getLoginMethod(),
            $config->getLoginResponse(),
            $config->getLocale(),
            $config->getConnectionTimeout(),
            min($config->getReadTimeout(), $config->getWriteTimeout()),
            $config->getStreamContext(),
            $config->isKeepalive(),
            $config->getHeartbeat(),
            $config->getChannelRPCTimeout(),
            null,
            $config
        );
    }
}
