<?php

namespace PhpAmqpLib\Channel;

use PhpAmqpLib\Connection\AbstractConnection;
use PhpAmqpLib\Exception\AMQPBasicCancelException;
use PhpAmqpLib\Exception\AMQPChannelClosedException;
use PhpAmqpLib\Exception\AMQPNotImplementedException;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;
use Warren\Compat\Errors;
use Warren\Compat\Tables;
use Warren\Exception\AMQPException as NativeException;
use Warren\Exception\NackException;

/**
 * php-amqplib's channel, with its public methods, positional arguments and return values,
 * over a `Warren\Channel`. Differences that remain: `nowait` requests wait for their answer
 * anyway (the call returns the same), `wait()` dispatches deliveries only (the extension
 * handles every other incoming method itself), and `flow()` is not supported.
 */
class AMQPChannel extends AbstractChannel
{
    /** @var array<string, callable|null> consumer tag => callback; read by `while (count($ch->callbacks))` loops */
    public $callbacks = array();

    /** @var \Warren\Channel */
    private $native;
    /** @var bool */
    private $closed = false;
    /** @var callable|null */
    private $ack_handler;
    /** @var callable|null */
    private $nack_handler;
    /** @var callable|null */
    private $return_listener;
    /** @var array<int, AMQPMessage> unconfirmed publishes by sequence number (with handlers set) */
    private $published_messages = array();
    /** @var bool */
    private $confirm_mode = false;
    /** @var array queued batch_basic_publish() calls */
    private $batch = array();
    /** @var bool */
    private $stop_consume = false;
    /** @var string[] consumer tags the broker cancelled, reported by the next wait() */
    private $cancelled_by_broker = array();
    /** @var array|null the properties array of the last publish, and ... */
    private $last_properties;
    /** @var \Warren\Properties|null ... the same converted once: the next publish with equal properties reuses it */
    private $last_native_properties;

    public function __construct($connection, $channel_id = null, $auto_decode = true, $channel_rpc_timeout = 0)
    {
        $this->connection = $connection;
        try {
            $this->native = $connection->nativeConnection()->channel();
        } catch (NativeException $e) {
            throw Errors::translate($e);
        }
        $this->channel_id = $channel_id ?? $this->native->id();
        // Returns always come through here: to the listener, or dropped as php-amqplib drops them.
        $this->native->setReturnListener(function (int $code, string $text, string $exchange, string $key, \Warren\Message $m) {
            if ($this->return_listener !== null) {
                ($this->return_listener)($code, $text, $exchange, $key, AMQPMessage::fromNative($m, null));
            }
        });
    }

    /** @internal The extension's channel. */
    public function nativeChannel(): \Warren\Channel
    {
        return $this->native;
    }

    /** @internal Marks the channel closed (its connection closed). */
    public function markClosed(): void
    {
        $this->closed = true;
        $this->callbacks = array();
    }

    public function is_open()
    {
        return !$this->closed && $this->native->isOpen();
    }

    public function close($reply_code = 0, $reply_text = '', $method_sig = array(0, 0))
    {
        if ($this->closed) {
            return null;
        }
        $this->closed = true;
        $this->callbacks = array();
        $this->connection->forgetChannel($this->channel_id);
        try {
            $this->native->close();
        } catch (NativeException $e) {
            throw Errors::translate($e);
        }
        return null;
    }

    /** Closes the channel if its connection is gone; true if it is closed. */
    public function closeIfDisconnected(): bool
    {
        if (!$this->connection->isConnected() && !$this->native->isOpen()) {
            $this->markClosed();
            return true;
        }
        return false;
    }

    /** Not supported: RabbitMQ does not implement client-initiated `channel.flow` either. */
    public function flow($active)
    {
        throw new AMQPNotImplementedException('channel.flow is not supported by the warren extension');
    }

    /** `access.request` is gone from AMQP 0-9-1; RabbitMQ answers it with ticket 1, so this does. */
    public function access_request($realm, $exclusive = false, $passive = false, $active = false, $write = false, $read = false)
    {
        return 1;
    }

    private function fail(NativeException $e): \Throwable
    {
        if (!$this->native->isOpen()) {
            $this->closed = true;
            $this->callbacks = array();
            $this->connection->forgetChannel($this->channel_id);
        }
        return Errors::translate($e);
    }

    private function guardOpen(): void
    {
        if ($this->closed) {
            throw new AMQPChannelClosedException('Channel connection is closed.');
        }
    }

    public function exchange_declare($exchange, $type, $passive = false, $durable = false, $auto_delete = true, $internal = false, $nowait = false, $arguments = array(), $ticket = null)
    {
        $this->guardOpen();
        try {
            $this->native->exchangeDeclare($exchange, $type, (bool) $passive, (bool) $durable, (bool) $auto_delete, (bool) $internal, Tables::fromArgument($arguments));
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return null;
    }

    public function exchange_delete($exchange, $if_unused = false, $nowait = false, $ticket = null)
    {
        $this->guardOpen();
        try {
            $this->native->exchangeDelete($exchange, (bool) $if_unused);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return null;
    }

    public function exchange_bind($destination, $source, $routing_key = '', $nowait = false, $arguments = array(), $ticket = null)
    {
        $this->guardOpen();
        try {
            $this->native->exchangeBind($destination, $source, (string) $routing_key, Tables::fromArgument($arguments));
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return null;
    }

    public function exchange_unbind($destination, $source, $routing_key = '', $nowait = false, $arguments = array(), $ticket = null)
    {
        $this->guardOpen();
        try {
            $this->native->exchangeUnbind($destination, $source, (string) $routing_key, Tables::fromArgument($arguments));
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return null;
    }

    public function queue_bind($queue, $exchange, $routing_key = '', $nowait = false, $arguments = array(), $ticket = null)
    {
        $this->guardOpen();
        try {
            $this->native->queueBind($queue, $exchange, (string) $routing_key, Tables::fromArgument($arguments));
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return null;
    }

    public function queue_unbind($queue, $exchange, $routing_key = '', $arguments = array(), $ticket = null)
    {
        $this->guardOpen();
        try {
            $this->native->queueUnbind($queue, $exchange, (string) $routing_key, Tables::fromArgument($arguments));
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return null;
    }

    /** @return array{0: string, 1: int, 2: int}|null [queue, message count, consumer count]; null with $nowait */
    public function queue_declare($queue = '', $passive = false, $durable = false, $exclusive = false, $auto_delete = true, $nowait = false, $arguments = array(), $ticket = null)
    {
        $this->guardOpen();
        try {
            $ok = $this->native->queueDeclare((string) $queue, (bool) $passive, (bool) $durable, (bool) $exclusive, (bool) $auto_delete, Tables::fromArgument($arguments));
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return $nowait ? null : array($ok['name'], $ok['messageCount'], $ok['consumerCount']);
    }

    /** @return int|null messages deleted; null with $nowait */
    public function queue_delete($queue = '', $if_unused = false, $if_empty = false, $nowait = false, $ticket = null)
    {
        $this->guardOpen();
        try {
            $n = $this->native->queueDelete((string) $queue, (bool) $if_unused, (bool) $if_empty);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return $nowait ? null : $n;
    }

    /** @return int|null messages purged; null with $nowait */
    public function queue_purge($queue = '', $nowait = false, $ticket = null)
    {
        $this->guardOpen();
        try {
            $n = $this->native->queuePurge((string) $queue);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return $nowait ? null : $n;
    }

    public function basic_ack($delivery_tag, $multiple = false)
    {
        try {
            $this->native->basicAck((int) $delivery_tag, (bool) $multiple);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
    }

    public function basic_nack($delivery_tag, $multiple = false, $requeue = false)
    {
        try {
            $this->native->basicNack((int) $delivery_tag, (bool) $multiple, (bool) $requeue);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
    }

    public function basic_reject($delivery_tag, $requeue)
    {
        try {
            $this->native->basicReject((int) $delivery_tag, (bool) $requeue);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
    }

    public function basic_recover($requeue = false)
    {
        try {
            $this->native->basicRecover((bool) $requeue);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
    }

    public function basic_qos($prefetch_size, $prefetch_count, $a_global)
    {
        // prefetch_size is ignored by RabbitMQ (and refused when non-zero); so is it here.
        try {
            $this->native->basicQos((int) $prefetch_count, (bool) $a_global);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return null;
    }

    /** @return string the consumer tag */
    public function basic_consume($queue = '', $consumer_tag = '', $no_local = false, $no_ack = false, $exclusive = false, $nowait = false, $callback = null, $ticket = null, $arguments = array())
    {
        $this->guardOpen();
        if ($callback !== null && !is_callable($callback)) {
            throw new \InvalidArgumentException('Expected a callable. Got: ' . gettype($callback));
        }
        if ($nowait && empty($consumer_tag)) {
            throw new \InvalidArgumentException('Cannot start consumer without consumer_tag and no-wait=true');
        }
        if (!empty($consumer_tag) && array_key_exists($consumer_tag, $this->callbacks)) {
            throw new \InvalidArgumentException('This consumer tag is already registered.');
        }
        $options = ['no_ack' => (bool) $no_ack, 'exclusive' => (bool) $exclusive, 'no_local' => (bool) $no_local,
            'on_cancel' => function (string $tag) {
                unset($this->callbacks[$tag]);
                $this->cancelled_by_broker[] = $tag;
            }];
        if ($consumer_tag !== '' && $consumer_tag !== null) {
            $options['consumer_tag'] = (string) $consumer_tag;
        }
        if (!empty($arguments)) {
            $options['arguments'] = Tables::fromArgument($arguments);
        }
        try {
            $tag = $this->native->basicConsume((string) $queue, function (\Warren\Message $m) {
                $msg = AMQPMessage::fromNative($m, $this);
                $callback = $this->callbacks[$msg->delivery_info['consumer_tag']] ?? null;
                if ($callback !== null) {
                    $callback($msg);
                }
            }, $options);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        $this->callbacks[$tag] = $callback;
        return $tag;
    }

    public function basic_cancel($consumer_tag, $nowait = false, $noreturn = false)
    {
        try {
            $this->native->basicCancel((string) $consumer_tag);
        } catch (NativeException $e) {
            throw $this->fail($e);
        } finally {
            unset($this->callbacks[$consumer_tag]);
        }
        return $consumer_tag;
    }

    public function is_consuming()
    {
        return !empty($this->callbacks);
    }

    /** @return AMQPMessage|null */
    public function basic_get($queue = '', $no_ack = false, $ticket = null)
    {
        $this->guardOpen();
        try {
            $m = $this->native->basicGet((string) $queue, (bool) $no_ack);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        return $m === null ? null : AMQPMessage::fromNative($m, $this);
    }

    public function basic_publish($msg, $exchange = '', $routing_key = '', $mandatory = false, $immediate = false, $ticket = null)
    {
        if ($this->closed) {
            throw new AMQPChannelClosedException('Channel connection is closed.');
        }
        $props = $msg->get_properties();
        if ($props !== $this->last_properties || $this->last_native_properties === null) {
            $native = $this->nativeProperties($props);
            // Objects (an AMQPTable of headers, a DateTime) may be changed in place and still
            // compare identical: properties holding one are never reused.
            $reusable = !isset($props['application_headers']) && !is_object($props['timestamp'] ?? null);
            $this->last_properties = $reusable ? $props : null;
            $this->last_native_properties = $reusable ? $native : null;
        } else {
            $native = $this->last_native_properties;
        }
        try {
            $seq = $this->native->basicPublish((string) $exchange, (string) $routing_key, (string) $msg->body, $native, (bool) $mandatory);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        if ($seq > 0 && ($this->ack_handler !== null || $this->nack_handler !== null)) {
            // Kept for the ack and nack handlers, which get the message back.
            $this->published_messages[$seq] = $msg;
            $msg->setDeliveryInfo($seq, false, $exchange, $routing_key);
        }
    }

    /** A message's properties for the extension, checked and converted once. */
    private function nativeProperties(array $props): \Warren\Properties
    {
        if (isset($props['application_headers']) && !$props['application_headers'] instanceof AMQPTable) {
            $props['application_headers'] = Tables::fromArgument($props['application_headers']);
        }
        try {
            return new \Warren\Properties($props);
        } catch (NativeException $e) {
            throw Errors::translate($e);
        }
    }

    public function batch_basic_publish($message, $exchange = '', $routing_key = '', $mandatory = false, $immediate = false, $ticket = null)
    {
        $this->batch[] = [$message, $exchange, $routing_key, $mandatory, $immediate, $ticket];
    }

    public function publish_batch()
    {
        $batch = $this->batch;
        $this->batch = array();
        foreach ($batch as $args) {
            $this->basic_publish(...$args);
        }
    }

    public function confirm_select($nowait = false)
    {
        try {
            $this->native->confirmSelect();
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
        $this->confirm_mode = true;
        $this->listenForConfirms();
        return null;
    }

    /** Confirms go to the ack and nack handlers once one is set (else nothing is tracked). */
    private function listenForConfirms(): void
    {
        if (!$this->confirm_mode || ($this->ack_handler === null && $this->nack_handler === null)) {
            return;
        }
        $this->native->setConfirmListener(function (int $seq, bool $multiple, bool $ack) {
            $handler = $ack ? $this->ack_handler : $this->nack_handler;
            if (!$multiple) {
                $msg = $this->published_messages[$seq] ?? null;
                unset($this->published_messages[$seq]);
                if ($msg !== null && $handler !== null) {
                    $handler($msg);
                }
                return;
            }
            // Sequence numbers were added in increasing order: stop at the first one above.
            foreach ($this->published_messages as $key => $msg) {
                if ($key > $seq) {
                    break;
                }
                unset($this->published_messages[$key]);
                if ($handler !== null) {
                    $handler($msg);
                }
            }
        });
    }

    /** Kept for php-amqplib's API: the extension handles `confirm.select-ok` itself. */
    public function confirm_select_ok()
    {
    }

    /** Waits for the broker's answer to every publish, calling the ack and nack handlers. */
    public function wait_for_pending_acks($timeout = 0)
    {
        try {
            $this->native->waitForConfirms($timeout > 0 ? (float) $timeout : null);
        } catch (NackException $e) {
            // Nacks went to the nack handler, as in php-amqplib.
        } catch (\Warren\Exception\TimeoutException $e) {
            throw new AMQPTimeoutException(sprintf('The connection timed out after %s sec while awaiting incoming data', $timeout), $timeout, 0, $e);
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
    }

    /** Like wait_for_pending_acks(); returned messages go to the return listener meanwhile. */
    public function wait_for_pending_acks_returns($timeout = 0)
    {
        $this->wait_for_pending_acks($timeout);
    }

    public function tx_select()
    {
        try {
            $this->native->txSelect();
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
    }

    public function tx_commit()
    {
        try {
            $this->native->txCommit();
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
    }

    public function tx_rollback()
    {
        try {
            $this->native->txRollback();
        } catch (NativeException $e) {
            throw $this->fail($e);
        }
    }

    /** @param callable $callback fn($reply_code, $reply_text, $exchange, $routing_key, AMQPMessage $msg) */
    public function set_return_listener($callback)
    {
        $this->return_listener = $callback;
    }

    /** @param callable $callback fn(AMQPMessage $msg) for each nacked publish */
    public function set_nack_handler($callback)
    {
        $this->nack_handler = $callback;
        $this->listenForConfirms();
    }

    /** @param callable $callback fn(AMQPMessage $msg) for each acked publish */
    public function set_ack_handler($callback)
    {
        $this->ack_handler = $callback;
        $this->listenForConfirms();
    }

    /**
     * Waits for the next delivery to this channel's consumers and runs its callback, as
     * php-amqplib does: `$timeout` seconds (0: no limit), then AMQPTimeoutException; a pcntl
     * signal runs its handler and the wait goes on (a handler stops it by throwing, calling
     * stopConsume() or cancelling the consumers); `$non_blocking` only takes what already
     * arrived. With no limit and nothing consuming it returns null at once (php-amqplib would
     * block for good).
     */
    public function wait($allowed_methods = null, $non_blocking = false, $timeout = 0)
    {
        $this->guardOpen();
        $this->raiseBrokerCancel();
        $deadline = ($timeout > 0 && !$non_blocking) ? microtime(true) + (float) $timeout : null;
        while (true) {
            $limit = $non_blocking ? 0.0 : ($deadline === null ? null : max(0.0, $deadline - microtime(true)));
            try {
                $dispatched = $this->native->wait($limit, true);
            } catch (NativeException $e) {
                throw $this->fail($e);
            }
            $this->raiseBrokerCancel();
            if ($dispatched || $non_blocking || $this->stop_consume) {
                return null;
            }
            if ($deadline !== null && microtime(true) >= $deadline) {
                throw new AMQPTimeoutException(sprintf('The connection timed out after %s sec while awaiting incoming data', $timeout), $timeout);
            }
            if ($deadline === null && !$this->is_consuming()) {
                return null;
            }
            // A signal ended the native wait early; its handler has run: wait on.
        }
    }

    private function raiseBrokerCancel(): void
    {
        if ($this->cancelled_by_broker) {
            $tag = array_shift($this->cancelled_by_broker);
            throw new AMQPBasicCancelException($tag);
        }
    }

    /** Dispatches deliveries until every consumer is cancelled or stopConsume() is called. */
    public function consume(float $maximumPoll = 10.0): void
    {
        $this->stop_consume = false;
        while ($this->is_consuming() && !$this->stop_consume) {
            try {
                $this->wait(null, false, max($maximumPoll, 1.0));
            } catch (AMQPTimeoutException $e) {
                continue;
            }
        }
        $this->stop_consume = false;
    }

    public function stopConsume()
    {
        $this->stop_consume = true;
    }

    /** @return int|null the sequence number of the next publish in confirm mode */
    public function get_next_delivery_tag()
    {
        return $this->confirm_mode ? $this->native->nextPublishSeqNo() : null;
    }
}
