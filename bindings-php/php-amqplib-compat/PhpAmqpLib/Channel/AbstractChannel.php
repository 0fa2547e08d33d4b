<?php

namespace PhpAmqpLib\Channel;

use PhpAmqpLib\Connection\AbstractConnection;

/** php-amqplib's channel base: the id and the connection. */
abstract class AbstractChannel
{
    const PROTOCOL_080 = '0.8';
    const PROTOCOL_091 = '0.9.1';

    /** @var AbstractConnection */
    protected $connection;
    /** @var int */
    protected $channel_id;

    public static function getProtocolVersion()
    {
        return self::PROTOCOL_091;
    }

    public function getChannelId()
    {
        return $this->channel_id;
    }

    public function getConnection()
    {
        return $this->connection;
    }

    /** Incoming methods are dispatched by the extension as they come: never any pending here. */
    public function getMethodQueue()
    {
        return array();
    }

    public function hasPendingMethods()
    {
        return false;
    }

    /** The extension enforces its own maximum message size (128 MiB, RabbitMQ's default). */
    public function setBodySizeLimit($max_bytes)
    {
    }
}
