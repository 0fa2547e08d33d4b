<?php

namespace PhpAmqpLib\Connection;

/**
 * php-amqplib's stream connection, with its constructor arguments, over the warren
 * extension. `$context`, `$keepalive` and `$read_write_timeout` concern php-amqplib's own
 * socket and have no effect here (the extension keeps the socket on its own thread); TLS is
 * taken from an AMQPConnectionConfig marked secure.
 */
class AMQPStreamConnection extends AbstractConnection
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
        $connection_timeout = 3.0,
        $read_write_timeout = 3.0,
        $context = null,
        $keepalive = false,
        $heartbeat = 0,
        $channel_rpc_timeout = 0.0,
        $ssl_protocol = null,
        ?AMQPConnectionConfig $config = null
    ) {
        if ($ssl_protocol instanceof AMQPConnectionConfig) {
            $config = $ssl_protocol;
        }
        if ($channel_rpc_timeout > $read_write_timeout) {
            throw new \InvalidArgumentException('channel RPC timeout must not be greater than I/O read-write timeout');
        }
        $this->config = $config;
        $secure = $config !== null && $config->isSecure();
        $query = self::query($login_method, $config);
        $uri = self::uri($secure ? 'amqps' : 'amqp', (string) $host, $port, (string) $user, (string) $password, (string) $vhost, $query);
        $this->setTarget([$uri], self::options($locale, $connection_timeout, $heartbeat, $channel_rpc_timeout, $config),
            (int) $heartbeat, (float) $read_write_timeout, (float) $channel_rpc_timeout,
            $config === null || !$config->isLazy());
    }

    /** URI query parameters: SASL mechanism and TLS files. */
    protected static function query($login_method, ?AMQPConnectionConfig $config): array
    {
        $q = [];
        $mech = strtoupper((string) $login_method);
        if ($mech === 'AMQPLAIN' || $mech === 'PLAIN' || $mech === 'EXTERNAL') {
            $q['auth_mechanism'] = strtolower($mech);
        }
        if ($config !== null && $config->isSecure()) {
            $q += array_filter([
                'cacertfile' => $config->getSslCaCert(),
                'certfile' => $config->getSslCert(),
                'keyfile' => $config->getSslKey(),
                'verify' => $config->getSslVerify() === false ? 'verify_none' : null,
            ], fn ($v) => $v !== null);
        }
        return $q;
    }

    /** The extension's options for php-amqplib's settings. */
    protected static function options($locale, $connection_timeout, $heartbeat, $channel_rpc_timeout, ?AMQPConnectionConfig $config): array
    {
        $o = ['heartbeat' => (int) $heartbeat, 'locale' => (string) $locale];
        if ($connection_timeout > 0) {
            $o['connection_timeout'] = (float) $connection_timeout;
        }
        if ($channel_rpc_timeout > 0) {
            $o['rpc_timeout'] = (float) $channel_rpc_timeout;
        }
        if ($config !== null && $config->getConnectionName() !== '') {
            $o['connection_name'] = $config->getConnectionName();
        }
        return $o;
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
            $options['connection_timeout'] ?? 3.0,
            $options['read_write_timeout'] ?? 3.0,
            $options['context'] ?? null,
            $options['keepalive'] ?? false,
            $options['heartbeat'] ?? 0,
            $options['channel_rpc_timeout'] ?? 0.0
        );
    }
}
