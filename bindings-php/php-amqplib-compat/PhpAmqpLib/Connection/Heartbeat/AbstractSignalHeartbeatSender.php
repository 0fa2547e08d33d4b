<?php

namespace PhpAmqpLib\Connection\Heartbeat;

use PhpAmqpLib\Connection\AbstractConnection;

/**
 * php-amqplib's signal-driven heartbeat senders exist to send heartbeats while PHP is busy.
 * The warren extension sends them on its own thread whatever PHP does, so these keep
 * php-amqplib's API (code that registers one runs unchanged) and install no signal handler.
 */
abstract class AbstractSignalHeartbeatSender
{
    /** @var AbstractConnection|null */
    protected $connection;
    /** @var bool */
    protected $registered = false;

    public function __construct(AbstractConnection $connection)
    {
        $this->connection = $connection;
    }

    public function __destruct()
    {
        $this->unregister();
    }

    public function register(): void
    {
        if (!$this->connection) {
            throw new \PhpAmqpLib\Exception\AMQPRuntimeException('Unable to re-register heartbeat sender');
        }
        $this->registered = true;
    }

    public function unregister(): void
    {
        $this->connection = null;
        $this->registered = false;
    }
}
