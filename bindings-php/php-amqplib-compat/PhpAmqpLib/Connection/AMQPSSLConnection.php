<?php

namespace PhpAmqpLib\Connection;

/**
 * php-amqplib's TLS connection: `$ssl_options` cafile, local_cert, local_pk and verify_peer
 * become the amqps URI's cacertfile, certfile, keyfile and verify.
 */
class AMQPSSLConnection extends AMQPStreamConnection
{
    public function __construct(
        $host,
        $port,
        $user,
        $password,
        $vhost = '/',
        $ssl_options = array(),
        $options = array(),
        ?AMQPConnectionConfig $config = null
    ) {
        $config = $config ?? new AMQPConnectionConfig();
        $config->setIsSecure(true);
        if (isset($ssl_options['cafile'])) {
            $config->setSslCaCert($ssl_options['cafile']);
        }
        if (isset($ssl_options['local_cert'])) {
            $config->setSslCert($ssl_options['local_cert']);
        }
        if (isset($ssl_options['local_pk'])) {
            $config->setSslKey($ssl_options['local_pk']);
        }
        if (isset($ssl_options['verify_peer'])) {
            $config->setSslVerify((bool) $ssl_options['verify_peer']);
        }
        parent::__construct(
            $host,
            $port,
            $user,
            $password,
            $vhost,
            $options['insist'] ?? false,
            $options['login_method'] ?? 'AMQPLAIN',
            $options['login_response'] ?? null,
            $options['locale'] ?? 'en_US',
            $options['connection_timeout'] ?? 3,
            $options['read_write_timeout'] ?? 130,
            null,
            $options['keepalive'] ?? false,
            $options['heartbeat'] ?? 0,
            $options['channel_rpc_timeout'] ?? 0.0,
            null,
            $config
        );
    }

    public static function try_create_connection($host, $port, $user, $password, $vhost, $options)
    {
        return new static($host, $port, $user, $password, $vhost, $options['ssl_options'] ?? [], $options);
    }
}
