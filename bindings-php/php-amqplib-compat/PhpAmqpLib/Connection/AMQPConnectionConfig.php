<?php

namespace PhpAmqpLib\Connection;

/**
 * Connection settings for AMQPConnectionFactory::create(), with php-amqplib 3.x's getters and
 * setters. The settings live in one array ({@see self::DEFAULTS} until set); setters refuse
 * values that cannot work (a port out of range, a negative timeout, an unknown login method or
 * I/O type) with \InvalidArgumentException. Settings of php-amqplib's own socket are kept
 * and read back but change nothing: the extension runs the socket on its own thread.
 */
final class AMQPConnectionConfig
{
    public const AUTH_PLAIN = 'PLAIN';
    public const AUTH_AMQPPLAIN = 'AMQPLAIN';
    public const AUTH_EXTERNAL = 'EXTERNAL';
    public const IO_TYPE_STREAM = 'stream';
    public const IO_TYPE_SOCKET = 'socket';

    /** Every setting and its value until a setter changes it. */
    private const DEFAULTS = [
        'io_type' => self::IO_TYPE_STREAM,
        'lazy' => false,
        'host' => '127.0.0.1',
        'port' => 5672,
        'user' => 'guest',
        'password' => 'guest',
        'vhost' => '/',
        'insist' => false,
        'login_method' => self::AUTH_AMQPPLAIN,
        'login_response' => null,
        'locale' => 'en_US',
        'connection_name' => '',
        'connection_timeout' => 3.0,
        'read_timeout' => 3.0,
        'write_timeout' => 3.0,
        'channel_rpc_timeout' => 0.0,
        'heartbeat' => 0,
        'keepalive' => false,
        'network_protocol' => 'tcp',
        'stream_context' => null,
        'send_buffer_size' => 0,
        'dispatch_signals' => true,
        'amqp_protocol' => '0.9.1',
        'protocol_strict_fields' => false,
        'debug_packets' => false,
        'secure' => false,
        'ssl_cafile' => null,
        'ssl_capath' => null,
        'ssl_cert' => null,
        'ssl_key' => null,
        'ssl_verify' => null,
        'ssl_verify_name' => null,
        'ssl_passphrase' => null,
        'ssl_ciphers' => null,
        'ssl_security_level' => null,
        'ssl_crypto_method' => null,
    ];

    /** @var array<string, mixed> the settings changed from {@see self::DEFAULTS} */
    private $changed = array();

    private function value(string $key)
    {
        return array_key_exists($key, $this->changed) ? $this->changed[$key] : self::DEFAULTS[$key];
    }

    private function change(string $key, $value, bool $valid = true): void
    {
        if (!$valid) {
            throw new \InvalidArgumentException(sprintf('%s: %s is not a valid value', $key, var_export($value, true)));
        }
        $this->changed[$key] = $value;
    }

    // Where and who.

    /** Php-amqplib's socket implementation; both mean the extension's own socket here. */
    public function getIoType(): string
    {
        return $this->value('io_type');
    }

    public function setIoType(string $ioType): void
    {
        $this->change('io_type', $ioType, in_array($ioType, [self::IO_TYPE_STREAM, self::IO_TYPE_SOCKET], true));
    }

    /** Connect on first use instead of in the constructor. */
    public function isLazy(): bool
    {
        return $this->value('lazy');
    }

    public function setIsLazy(bool $isLazy): void
    {
        $this->change('lazy', $isLazy);
    }

    public function getHost(): string
    {
        return $this->value('host');
    }

    public function setHost(string $host): void
    {
        $this->change('host', $host);
    }

    public function getPort(): int
    {
        return $this->value('port');
    }

    public function setPort(int $port): void
    {
        $this->change('port', $port, $port >= 0 && $port <= 65535);
    }

    public function getUser(): string
    {
        return $this->value('user');
    }

    public function setUser(string $user): void
    {
        $this->change('user', $user);
    }

    public function getPassword(): string
    {
        return $this->value('password');
    }

    public function setPassword(string $password): void
    {
        $this->change('password', $password);
    }

    public function getVhost(): string
    {
        return $this->value('vhost');
    }

    public function setVhost(string $vhost): void
    {
        $this->change('vhost', $vhost);
    }

    /** AMQP 0-8's insist flag: ignored by RabbitMQ, kept for the API. */
    public function isInsist(): bool
    {
        return $this->value('insist');
    }

    public function setInsist(bool $insist): void
    {
        $this->change('insist', $insist);
    }

    /** SASL mechanism: PLAIN, AMQPLAIN or EXTERNAL. */
    public function getLoginMethod(): string
    {
        return $this->value('login_method');
    }

    public function setLoginMethod(string $loginMethod): void
    {
        $this->change('login_method', $loginMethod, in_array($loginMethod, [self::AUTH_PLAIN, self::AUTH_AMQPPLAIN, self::AUTH_EXTERNAL], true));
    }

    public function getLoginResponse(): ?string
    {
        return $this->value('login_response');
    }

    public function setLoginResponse(?string $loginResponse): void
    {
        $this->change('login_response', $loginResponse);
    }

    public function getLocale(): string
    {
        return $this->value('locale');
    }

    public function setLocale(string $locale): void
    {
        $this->change('locale', $locale);
    }

    /** Shown by the broker's management UI. */
    public function getConnectionName(): string
    {
        return $this->value('connection_name');
    }

    public function setConnectionName(string $connectionName): void
    {
        $this->change('connection_name', $connectionName);
    }

    // Time.

    /** Seconds to connect. */
    public function getConnectionTimeout(): float
    {
        return $this->value('connection_timeout');
    }

    public function setConnectionTimeout(float $connectionTimeout): void
    {
        $this->change('connection_timeout', $connectionTimeout, $connectionTimeout >= 0);
    }

    public function getReadTimeout(): float
    {
        return $this->value('read_timeout');
    }

    public function setReadTimeout(float $readTimeout): void
    {
        $this->change('read_timeout', $readTimeout, $readTimeout >= 0);
    }

    public function getWriteTimeout(): float
    {
        return $this->value('write_timeout');
    }

    public function setWriteTimeout(float $writeTimeout): void
    {
        $this->change('write_timeout', $writeTimeout, $writeTimeout >= 0);
    }

    /** Seconds a channel operation may wait for its answer; 0: no limit. */
    public function getChannelRPCTimeout(): float
    {
        return $this->value('channel_rpc_timeout');
    }

    public function setChannelRPCTimeout(float $channelRPCTimeout): void
    {
        $this->change('channel_rpc_timeout', $channelRPCTimeout, $channelRPCTimeout >= 0);
    }

    /** Seconds; sent by the extension's own thread, whatever PHP is doing. */
    public function getHeartbeat(): int
    {
        return $this->value('heartbeat');
    }

    public function setHeartbeat(int $heartbeat): void
    {
        $this->change('heartbeat', $heartbeat, $heartbeat >= 0);
    }

    // Socket settings of php-amqplib's own I/O, kept for the API (the extension has its own socket).

    public function isKeepalive(): bool
    {
        return $this->value('keepalive');
    }

    public function setKeepalive(bool $keepalive): void
    {
        $this->change('keepalive', $keepalive);
    }

    public function getNetworkProtocol(): string
    {
        return $this->value('network_protocol');
    }

    public function setNetworkProtocol(string $networkProtocol): void
    {
        $this->change('network_protocol', $networkProtocol);
    }

    public function getStreamContext()
    {
        return $this->value('stream_context');
    }

    public function setStreamContext($streamContext): void
    {
        $this->change('stream_context', $streamContext);
    }

    public function getSendBufferSize(): int
    {
        return $this->value('send_buffer_size');
    }

    public function setSendBufferSize(int $sendBufferSize): void
    {
        $this->change('send_buffer_size', $sendBufferSize, $sendBufferSize >= 0);
    }

    /** Pcntl signals interrupt wait() either way. */
    public function isSignalsDispatchEnabled(): bool
    {
        return $this->value('dispatch_signals');
    }

    public function enableSignalDispatch(bool $dispatchSignals): void
    {
        $this->change('dispatch_signals', $dispatchSignals);
    }

    public function getAMQPProtocol(): string
    {
        return $this->value('amqp_protocol');
    }

    public function setAMQPProtocol(string $amqpProtocol): void
    {
        $this->change('amqp_protocol', $amqpProtocol);
    }

    public function isProtocolStrictFieldsEnabled(): bool
    {
        return $this->value('protocol_strict_fields');
    }

    public function setProtocolStrictFields(bool $protocolStrictFields): void
    {
        $this->change('protocol_strict_fields', $protocolStrictFields);
    }

    public function isDebugPackets(): bool
    {
        return $this->value('debug_packets');
    }

    public function setDebugPackets(bool $debugPackets): void
    {
        $this->change('debug_packets', $debugPackets);
    }

    // TLS (used when secure).

    /** Amqps instead of amqp. */
    public function isSecure(): bool
    {
        return $this->value('secure');
    }

    public function setIsSecure(bool $isSecure): void
    {
        $this->change('secure', $isSecure);
    }

    public function getSslCaCert(): ?string
    {
        return $this->value('ssl_cafile');
    }

    public function setSslCaCert(?string $sslCaCert): void
    {
        $this->change('ssl_cafile', $sslCaCert);
    }

    public function getSslCaPath(): ?string
    {
        return $this->value('ssl_capath');
    }

    public function setSslCaPath(?string $sslCaPath): void
    {
        $this->change('ssl_capath', $sslCaPath);
    }

    public function getSslCert(): ?string
    {
        return $this->value('ssl_cert');
    }

    public function setSslCert(?string $sslCert): void
    {
        $this->change('ssl_cert', $sslCert);
    }

    public function getSslKey(): ?string
    {
        return $this->value('ssl_key');
    }

    public function setSslKey(?string $sslKey): void
    {
        $this->change('ssl_key', $sslKey);
    }

    public function getSslVerify(): ?bool
    {
        return $this->value('ssl_verify');
    }

    public function setSslVerify(?bool $sslVerify): void
    {
        $this->change('ssl_verify', $sslVerify);
    }

    public function getSslVerifyName(): ?bool
    {
        return $this->value('ssl_verify_name');
    }

    public function setSslVerifyName(?bool $sslVerifyName): void
    {
        $this->change('ssl_verify_name', $sslVerifyName);
    }

    public function getSslPassPhrase(): ?string
    {
        return $this->value('ssl_passphrase');
    }

    public function setSslPassPhrase(?string $sslPassPhrase): void
    {
        $this->change('ssl_passphrase', $sslPassPhrase);
    }

    public function getSslCiphers(): ?string
    {
        return $this->value('ssl_ciphers');
    }

    public function setSslCiphers(?string $sslCiphers): void
    {
        $this->change('ssl_ciphers', $sslCiphers);
    }

    public function getSslSecurityLevel(): ?int
    {
        return $this->value('ssl_security_level');
    }

    public function setSslSecurityLevel(?int $sslSecurityLevel): void
    {
        $this->change('ssl_security_level', $sslSecurityLevel);
    }

    public function getSslCryptoMethod(): ?int
    {
        return $this->value('ssl_crypto_method');
    }

    public function setSslCryptoMethod(?int $sslCryptoMethod): void
    {
        $this->change('ssl_crypto_method', $sslCryptoMethod);
    }
}
