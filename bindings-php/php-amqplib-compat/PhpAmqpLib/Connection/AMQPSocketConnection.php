<?php

namespace PhpAmqpLib\Connection;

/** php-amqplib's socket connection, with its constructor arguments; the same as the stream one here. */
class AMQPSocketConnection extends AMQPStreamConnection
{
    public function __construct(
        $host,
        $port,
        $user,
        $password,
        $vhost = '/',
        $insist = false,
        $login_method = 'AMQPLAIN',
        $login_response = null,
        $locale = 'en_US',
        $read_timeout = 3,
        $keepalive = false,
        $write_timeout = 3,
        $heartbeat = 0,
        $channel_rpc_timeout = 0.0,
        ?AMQPConnectionConfig $config = null
    ) {
        parent::__construct($host, $port, $user, $password, $vhost, $insist, $login_method, $login_response,
            $locale, 3.0, max($read_timeout, $write_timeout), null, $keepalive, $heartbeat, $channel_rpc_timeout,
            null, $config);
    }

    /** @deprecated php-amqplib's; use AMQPConnectionFactory */
    public static function try_create_connection($host, $port, $user, $password, $vhost, $options)
    {
        return new static(
            $host,
            $port,
            $user,
            $password,
            $vhost,
            $options['insist'] ?? false,
            $options['login_method'] ?? 'AMQPLAIN',
            $options['login_response'] ?? null,
            $options['locale'] ?? 'en_US',
            $options['read_timeout'] ?? 3,
            $options['keepalive'] ?? false,
            $options['write_timeout'] ?? 3,
            $options['heartbeat'] ?? 0,
            $options['channel_rpc_timeout'] ?? 0.0
        );
    }
}
