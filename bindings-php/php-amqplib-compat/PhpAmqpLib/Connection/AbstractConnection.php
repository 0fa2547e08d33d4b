<?php

namespace PhpAmqpLib\Connection;

use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Exception\AMQPConnectionClosedException;
use PhpAmqpLib\Wire\AMQPTable;
use Warren\Compat\Errors;

/**
 * A connection, php-amqplib's API over the warren extension: the extension keeps the socket,
 * heartbeats and recovery on its own thread, so a long callback or sleep() never loses the
 * connection.
 */
abstract class AbstractConnection
{
    /** @internal What php-amqplib announces; kept for code that reads it. */
    public static $LIBRARY_PROPERTIES = array(
        'product' => array('S', 'AMQPLib'),
        'platform' => array('S', 'PHP'),
        'version' => array('S', '3.5-warren'),
        'information' => array('S', ''),
        'copyright' => array('S', ''),
        'capabilities' => array('F', array(
            'authentication_failure_close' => array('t', true),
            'publisher_confirms' => array('t', true),
            'consumer_cancel_notify' => array('t', true),
            'exchange_exchange_bindings' => array('t', true),
            'basic.nack' => array('t', true),
            'connection.blocked' => array('t', true),
        )),
    );

    /** @var \Warren\Connection|null null until connected (lazy connections) */
    protected $native;
    /** @var AMQPChannel[] open channels by id */
    protected $channels = array();
    /** @var array{0: string[], 1: array} URIs and options to (re)connect with */
    protected $target;
    /** @var int */
    protected $heartbeat = 0;
    /** @var float */
    protected $read_timeout = 3.0;
    /** @var float */
    protected $channel_rpc_timeout = 0.0;
    /** @var bool */
    protected $close_on_destruct = true;
    /** @var callable|null */
    protected $blocked_handler;
    /** @var callable|null */
    protected $unblocked_handler;
    /** @var AMQPConnectionConfig|null */
    protected $config;

    /**
     * @param string[] $uris AMQP URIs built by the concrete connection classes
     * @param array $options the extension's connection options
     */
    protected function setTarget(array $uris, array $options, int $heartbeat, float $readTimeout, float $rpcTimeout, bool $connectNow): void
    {
        $this->target = [$uris, $options];
        $this->heartbeat = $heartbeat;
        $this->read_timeout = $readTimeout;
        $this->channel_rpc_timeout = $rpcTimeout;
        if ($connectNow) {
            $this->connect();
        }
    }

    /** The URI for one host, credentials and vhost, with php-amqplib's settings as query. */
    protected static function uri(string $scheme, string $host, $port, string $user, string $password, string $vhost, array $query): string
    {
        $h = str_contains($host, ':') && $host[0] !== '[' ? "[$host]" : $host;
        return sprintf('%s://%s:%s@%s:%d/%s%s', $scheme, rawurlencode($user), rawurlencode($password), $h,
            (int) $port, rawurlencode($vhost), $query ? '?' . http_build_query($query) : '');
    }

    /** @internal Opens the native connection (lazy connections call this on first use). */
    protected function connect(): void
    {
        if ($this->native !== null && $this->native->isOpen()) {
            return;
        }
        [$uris, $options] = $this->target;
        try {
            $this->native = new \Warren\Connection(count($uris) === 1 ? $uris[0] : $uris, $options);
        } catch (\Warren\Exception\AMQPException $e) {
            throw Errors::translate($e, true);
        }
        $this->listenForBlocking();
    }

    /**
     * With a block or unblock handler set, the extension's connection events reach it: on
     * the PHP thread, in a channel's wait(), wait_for_pending_acks() or basic_publish().
     */
    private function listenForBlocking(): void
    {
        if ($this->native === null) {
            return;
        }
        if ($this->blocked_handler === null && $this->unblocked_handler === null) {
            $this->native->setEventListener(null);
            return;
        }
        $this->native->setEventListener(function (string $event, array $details): void {
            if ($event === 'blocked' && $this->blocked_handler !== null) {
                ($this->blocked_handler)($details['reason']);
            } elseif ($event === 'unblocked' && $this->unblocked_handler !== null) {
                ($this->unblocked_handler)();
            }
        });
    }

    /** @internal The extension's connection under this one. */
    public function nativeConnection(): \Warren\Connection
    {
        if ($this->native === null) {
            $this->connect();
        }
        return $this->native;
    }

    /** A new channel, or the open channel with that id. */
    public function channel($channel_id = null)
    {
        if ($channel_id !== null && isset($this->channels[$channel_id])) {
            return $this->channels[$channel_id];
        }
        $ch = new AMQPChannel($this, $channel_id, true, $this->channel_rpc_timeout);
        $this->channels[$ch->getChannelId()] = $ch;
        return $ch;
    }

    /** @internal Called by a channel when it closes. */
    public function forgetChannel($channel_id): void
    {
        unset($this->channels[$channel_id]);
    }

    /** Closes the channels and the connection. */
    public function close($reply_code = 0, $reply_text = '', $method_sig = array(0, 0))
    {
        foreach ($this->channels as $ch) {
            $ch->markClosed();
        }
        $this->channels = array();
        if ($this->native !== null) {
            try {
                $this->native->setEventListener(null);
                $this->native->close();
            } catch (\Warren\Exception\AMQPException $e) {
                throw Errors::translate($e);
            }
        }
        return null;
    }

    /** Closes and opens the connection again (channels must be opened anew). */
    public function reconnect()
    {
        $this->close();
        $this->native = null;
        $this->connect();
    }

    public function isConnected()
    {
        return $this->native !== null && $this->native->isConnected();
    }

    public function isBlocked()
    {
        return $this->native !== null && $this->native->isBlocked();
    }

    /** Always false: writes happen on the extension's I/O thread. */
    public function isWriting()
    {
        return false;
    }

    public function set_close_on_destruct($close = true)
    {
        $this->close_on_destruct = (bool) $close;
    }

    /** Nothing to do: the extension sends heartbeats on its own thread. */
    public function checkHeartBeat()
    {
    }

    public function getHeartbeat()
    {
        return $this->heartbeat;
    }

    public function getReadTimeout(): float
    {
        return $this->read_timeout;
    }

    public function connectOnConstruct(): bool
    {
        return true;
    }

    public function getServerProperties()
    {
        return $this->nativeConnection()->serverProperties();
    }

    public function getLibraryProperties()
    {
        return self::$LIBRARY_PROPERTIES;
    }

    /** Called with the reason when the broker blocks publishers (seen on the next publish or wait). */
    public function set_connection_block_handler($callback)
    {
        $this->blocked_handler = $callback;
        $this->listenForBlocking();
    }

    /** Called without arguments when the broker unblocks publishers. */
    public function set_connection_unblock_handler($callback)
    {
        $this->unblocked_handler = $callback;
        $this->listenForBlocking();
    }

    /** @throws AMQPConnectionClosedException when closed */
    public function checkConnection(): void
    {
        if ($this->native === null || !$this->native->isOpen()) {
            throw new AMQPConnectionClosedException('Channel connection is closed.');
        }
    }

    /** @param array $hosts each with host, port, user, password and optional vhost */
    public static function create_connection($hosts, $options = array())
    {
        if (!is_array($hosts) || count($hosts) < 1) {
            throw new \InvalidArgumentException('An array of hosts are required when attempting to create a connection');
        }
        $latest = null;
        foreach ($hosts as $hostdef) {
            self::validate_host($hostdef);
            try {
                return static::try_create_connection($hostdef['host'], $hostdef['port'], $hostdef['user'],
                    $hostdef['password'], $hostdef['vhost'] ?? '/', $options);
            } catch (\Exception $e) {
                $latest = $e;
            }
        }
        throw $latest;
    }

    public static function validate_host($host)
    {
        foreach (['host', 'port', 'user', 'password'] as $key) {
            if (!isset($host[$key])) {
                throw new \InvalidArgumentException("'$key' key is required.");
            }
        }
    }

    public function __destruct()
    {
        if ($this->close_on_destruct && $this->native !== null && $this->native->isOpen()) {
            try {
                $this->native->close();
            } catch (\Throwable $e) {
                // Closing at exit is best effort, as in php-amqplib.
            }
        }
    }
}
