<?php

namespace PhpAmqpLib\Connection;

/**
 * php-amqplib's connection settings object, for AMQPConnectionFactory::create(). The settings
 * that concern php-amqplib's own socket (I/O type, buffers, keepalive, packet debugging) are kept
 * but have no effect over the warren extension.
 */
final class AMQPConnectionConfig
{
    public const AUTH_PLAIN = 'PLAIN';
    public const AUTH_AMQPPLAIN = 'AMQPLAIN';
    public const AUTH_EXTERNAL = 'EXTERNAL';
    public const IO_TYPE_STREAM = 'stream';
    public const IO_TYPE_SOCKET = 'socket';

    /** @var string */
    private $ioType = self::IO_TYPE_STREAM;
    /** @var bool */
    private $isLazy = false;
    /** @var string */
    private $host = '127.0.0.1';
    /** @var int */
    private $port = 5672;
    /** @var string */
    private $user = 'guest';
    /** @var string */
    private $password = 'guest';
    /** @var string */
    private $vhost = '/';
    /** @var bool */
    private $insist = false;
    /** @var string */
    private $loginMethod = self::AUTH_AMQPPLAIN;
    /** @var string|null */
    private $loginResponse = null;
    /** @var string */
    private $locale = 'en_US';
    /** @var float */
    private $connectionTimeout = 3.0;
    /** @var float */
    private $readTimeout = 3.0;
    /** @var float */
    private $writeTimeout = 3.0;
    /** @var float */
    private $channelRPCTimeout = 0.0;
    /** @var int */
    private $heartbeat = 0;
    /** @var bool */
    private $keepalive = false;
    /** @var bool */
    private $isSecure = false;
    /** @var string */
    private $networkProtocol = 'tcp';
    /** @var mixed */
    private $streamContext = null;
    /** @var int */
    private $sendBufferSize = 0;
    /** @var bool */
    private $dispatchSignals = true;
    /** @var string */
    private $amqpProtocol = '0.9.1';
    /** @var bool */
    private $protocolStrictFields = false;
    /** @var string|null */
    private $sslCaCert = null;
    /** @var string|null */
    private $sslCaPath = null;
    /** @var string|null */
    private $sslCert = null;
    /** @var string|null */
    private $sslKey = null;
    /** @var bool|null */
    private $sslVerify = null;
    /** @var bool|null */
    private $sslVerifyName = null;
    /** @var string|null */
    private $sslPassPhrase = null;
    /** @var string|null */
    private $sslCiphers = null;
    /** @var int|null */
    private $sslSecurityLevel = null;
    /** @var int|null */
    private $sslCryptoMethod = null;
    /** @var bool */
    private $debugPackets = false;
    /** @var string */
    private $connectionName = '';

    public function getIoType(): string
    {
        return $this->ioType;
    }

    public function setIoType(string $ioType): void
    {
        $this->ioType = $ioType;
    }

    public function isLazy(): bool
    {
        return $this->isLazy;
    }

    public function setIsLazy(bool $isLazy): void
    {
        $this->isLazy = $isLazy;
    }

    public function getHost(): string
    {
        return $this->host;
    }

    public function setHost(string $host): void
    {
        $this->host = $host;
    }

    public function getPort(): int
    {
        return $this->port;
    }

    public function setPort(int $port): void
    {
        $this->port = $port;
    }

    public function getUser(): string
    {
        return $this->user;
    }

    public function setUser(string $user): void
    {
        $this->user = $user;
    }

    public function getPassword(): string
    {
        return $this->password;
    }

    public function setPassword(string $password): void
    {
        $this->password = $password;
    }

    public function getVhost(): string
    {
        return $this->vhost;
    }

    public function setVhost(string $vhost): void
    {
        $this->vhost = $vhost;
    }

    public function isInsist(): bool
    {
        return $this->insist;
    }

    public function setInsist(bool $insist): void
    {
        $this->insist = $insist;
    }

    public function getLoginMethod(): string
    {
        return $this->loginMethod;
    }

    public function setLoginMethod(string $loginMethod): void
    {
        $this->loginMethod = $loginMethod;
    }

    public function getLoginResponse(): ?string
    {
        return $this->loginResponse;
    }

    public function setLoginResponse(?string $loginResponse): void
    {
        $this->loginResponse = $loginResponse;
    }

    public function getLocale(): string
    {
        return $this->locale;
    }

    public function setLocale(string $locale): void
    {
        $this->locale = $locale;
    }

    public function getConnectionTimeout(): float
    {
        return $this->connectionTimeout;
    }

    public function setConnectionTimeout(float $connectionTimeout): void
    {
        $this->connectionTimeout = $connectionTimeout;
    }

    public function getReadTimeout(): float
    {
        return $this->readTimeout;
    }

    public function setReadTimeout(float $readTimeout): void
    {
        $this->readTimeout = $readTimeout;
    }

    public function getWriteTimeout(): float
    {
        return $this->writeTimeout;
    }

    public function setWriteTimeout(float $writeTimeout): void
    {
        $this->writeTimeout = $writeTimeout;
    }

    public function getChannelRPCTimeout(): float
    {
        return $this->channelRPCTimeout;
    }

    public function setChannelRPCTimeout(float $channelRPCTimeout): void
    {
        $this->channelRPCTimeout = $channelRPCTimeout;
    }

    public function getHeartbeat(): int
    {
        return $this->heartbeat;
    }

    public function setHeartbeat(int $heartbeat): void
    {
        $this->heartbeat = $heartbeat;
    }

    public function isKeepalive(): bool
    {
        return $this->keepalive;
    }

    public function setKeepalive(bool $keepalive): void
    {
        $this->keepalive = $keepalive;
    }

    public function isSecure(): bool
    {
        return $this->isSecure;
    }

    public function setIsSecure(bool $isSecure): void
    {
        $this->isSecure = $isSecure;
    }

    public function getNetworkProtocol(): string
    {
        return $this->networkProtocol;
    }

    public function setNetworkProtocol(string $networkProtocol): void
    {
        $this->networkProtocol = $networkProtocol;
    }

    public function getStreamContext()
    {
        return $this->streamContext;
    }

    public function setStreamContext($streamContext): void
    {
        $this->streamContext = $streamContext;
    }

    public function getSendBufferSize(): int
    {
        return $this->sendBufferSize;
    }

    public function setSendBufferSize(int $sendBufferSize): void
    {
        $this->sendBufferSize = $sendBufferSize;
    }

    public function isSignalsDispatchEnabled(): bool
    {
        return $this->dispatchSignals;
    }

    public function enableSignalDispatch(bool $dispatchSignals): void
    {
        $this->dispatchSignals = $dispatchSignals;
    }

    public function getAMQPProtocol(): string
    {
        return $this->amqpProtocol;
    }

    public function setAMQPProtocol(string $amqpProtocol): void
    {
        $this->amqpProtocol = $amqpProtocol;
    }

    public function isProtocolStrictFieldsEnabled(): bool
    {
        return $this->protocolStrictFields;
    }

    public function setProtocolStrictFields(bool $protocolStrictFields): void
    {
        $this->protocolStrictFields = $protocolStrictFields;
    }

    public function getSslCaCert(): ?string
    {
        return $this->sslCaCert;
    }

    public function setSslCaCert(?string $sslCaCert): void
    {
        $this->sslCaCert = $sslCaCert;
    }

    public function getSslCaPath(): ?string
    {
        return $this->sslCaPath;
    }

    public function setSslCaPath(?string $sslCaPath): void
    {
        $this->sslCaPath = $sslCaPath;
    }

    public function getSslCert(): ?string
    {
        return $this->sslCert;
    }

    public function setSslCert(?string $sslCert): void
    {
        $this->sslCert = $sslCert;
    }

    public function getSslKey(): ?string
    {
        return $this->sslKey;
    }

    public function setSslKey(?string $sslKey): void
    {
        $this->sslKey = $sslKey;
    }

    public function getSslVerify(): ?bool
    {
        return $this->sslVerify;
    }

    public function setSslVerify(?bool $sslVerify): void
    {
        $this->sslVerify = $sslVerify;
    }

    public function getSslVerifyName(): ?bool
    {
        return $this->sslVerifyName;
    }

    public function setSslVerifyName(?bool $sslVerifyName): void
    {
        $this->sslVerifyName = $sslVerifyName;
    }

    public function getSslPassPhrase(): ?string
    {
        return $this->sslPassPhrase;
    }

    public function setSslPassPhrase(?string $sslPassPhrase): void
    {
        $this->sslPassPhrase = $sslPassPhrase;
    }

    public function getSslCiphers(): ?string
    {
        return $this->sslCiphers;
    }

    public function setSslCiphers(?string $sslCiphers): void
    {
        $this->sslCiphers = $sslCiphers;
    }

    public function getSslSecurityLevel(): ?int
    {
        return $this->sslSecurityLevel;
    }

    public function setSslSecurityLevel(?int $sslSecurityLevel): void
    {
        $this->sslSecurityLevel = $sslSecurityLevel;
    }

    public function getSslCryptoMethod(): ?int
    {
        return $this->sslCryptoMethod;
    }

    public function setSslCryptoMethod(?int $sslCryptoMethod): void
    {
        $this->sslCryptoMethod = $sslCryptoMethod;
    }

    public function isDebugPackets(): bool
    {
        return $this->debugPackets;
    }

    public function setDebugPackets(bool $debugPackets): void
    {
        $this->debugPackets = $debugPackets;
    }

    public function getConnectionName(): string
    {
        return $this->connectionName;
    }

    public function setConnectionName(string $connectionName): void
    {
        $this->connectionName = $connectionName;
    }
}
