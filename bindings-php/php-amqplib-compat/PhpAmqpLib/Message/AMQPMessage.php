<?php

namespace PhpAmqpLib\Message;

use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Exception\AMQPEmptyDeliveryTagException;
use PhpAmqpLib\Wire\AMQPTable;

/**
 * A message with php-amqplib 3.x's public API, over the warren extension.
 *
 * To publish: a body and any of the 14 basic properties (names as php-amqplib spells them;
 * unknown names are dropped). Received: also where it came from — read through the getters
 * or the `delivery_info` array that older code uses — and `ack()`, `nack()`, `reject()`,
 * which settle it on the channel it arrived on, once.
 */
class AMQPMessage
{
    const DELIVERY_MODE_NON_PERSISTENT = 1;
    const DELIVERY_MODE_PERSISTENT = 2;

    /** The 14 property names, each with its AMQP type (read by code that inspects them). */
    private const PROPERTY_TYPES = [
        'content_type' => 'shortstr',
        'content_encoding' => 'shortstr',
        'application_headers' => 'table_object',
        'delivery_mode' => 'octet',
        'priority' => 'octet',
        'correlation_id' => 'shortstr',
        'reply_to' => 'shortstr',
        'expiration' => 'shortstr',
        'message_id' => 'shortstr',
        'timestamp' => 'timestamp',
        'type' => 'shortstr',
        'user_id' => 'shortstr',
        'app_id' => 'shortstr',
        'cluster_id' => 'shortstr',
    ];

    /** @var string */
    public $body;
    /** @var int|null the body's length, for a received message */
    public $body_size;
    /** @var bool always false: the extension never hands over part of a body */
    public $is_truncated = false;
    /** @var string|null a received message's content_encoding property */
    public $content_encoding;
    /**
     * @var array where a received message came from: channel, consumer_tag, delivery_tag,
     * redelivered, exchange, routing_key (and message_count after basic_get). The getters
     * read the same values; it stays a public array because code of php-amqplib's 2.x days
     * reads it (`$msg->delivery_info['channel']->basic_ack(...)`).
     */
    public $delivery_info = array();

    /** @var array the properties set, by name */
    protected $properties = array();
    /** @var string|null how the message was settled ('ack', 'nack', 'reject'), null before */
    private $settledWith;

    /** @param array $properties by name; names that are not properties are ignored */
    public function __construct($body = '', $properties = array())
    {
        $this->body = $body;
        if ($properties && is_array($properties)) {
            $this->properties = self::knownProperties($properties);
        }
    }

    /** The array itself when every name is a property (publishers then share one array). */
    private static function knownProperties(array $properties): array
    {
        foreach ($properties as $name => $_) {
            if (!isset(self::PROPERTY_TYPES[$name])) {
                return array_intersect_key($properties, self::PROPERTY_TYPES);
            }
        }
        return $properties;
    }

    /**
     * A received message from a native one (used by the compatibility layer).
     *
     * @internal
     */
    public static function fromNative(\Warren\Message $m, ?AMQPChannel $channel): self
    {
        $props = $m->properties;
        if (isset($props['headers'])) {
            // With the AMQP types as received, so that publishing it again sends the same bytes.
            $props['application_headers'] = AMQPTable::fromTyped($m->typedHeaders);
            unset($props['headers']);
        }
        $msg = new static($m->body, $props);
        $msg->body_size = strlen($msg->body);
        $msg->content_encoding = $props['content_encoding'] ?? null;
        // Everything about where it came from in one call (crossing into the extension per
        // field costs more than the rest of this function).
        $info = $m->deliveryInfo();
        $msg->delivery_info = $channel !== null ? ['channel' => $channel] + $info : $info;
        return $msg;
    }

    /** Acknowledges the message (with $multiple, every earlier unsettled one of its channel too). */
    public function ack($multiple = false)
    {
        $this->channelToSettle('ack')->basic_ack($this->getDeliveryTag(), $multiple);
        $this->settledWith = 'ack';
    }

    /** Rejects the message with `basic.nack` (not requeued unless $requeue). */
    public function nack($requeue = false, $multiple = false)
    {
        $this->channelToSettle('nack')->basic_nack($this->getDeliveryTag(), $multiple, $requeue);
        $this->settledWith = 'nack';
    }

    /** Rejects the message with `basic.reject` (requeued unless told otherwise). */
    public function reject($requeue = true)
    {
        $this->channelToSettle('reject')->basic_reject($this->getDeliveryTag(), $requeue);
        $this->settledWith = 'reject';
    }

    /** The channel to settle on; \LogicException if it was not delivered or is settled already. */
    private function channelToSettle(string $how)
    {
        $channel = $this->delivery_info['channel'] ?? null;
        if ($channel === null) {
            throw new \LogicException('This message was not delivered by a channel: there is nothing to ' . $how);
        }
        if ($this->settledWith !== null) {
            throw new \LogicException("This message was settled already (with $this->settledWith)");
        }
        return $channel;
    }

    /** @return AMQPChannel|null the channel it arrived on */
    public function getChannel()
    {
        return $this->delivery_info['channel'] ?? null;
    }

    /** Attaches the message to a channel, once. */
    public function setChannel($channel)
    {
        if (isset($this->delivery_info['channel'])) {
            throw new \RuntimeException('The message belongs to a channel already');
        }
        $this->delivery_info['channel'] = $channel;
        return $this;
    }

    public function setDeliveryInfo($deliveryTag, $redelivered, $exchange, $routingKey)
    {
        $this->delivery_info['delivery_tag'] = $deliveryTag;
        $this->delivery_info['redelivered'] = $redelivered;
        $this->delivery_info['exchange'] = $exchange;
        $this->delivery_info['routing_key'] = $routingKey;
        return $this;
    }

    public function isRedelivered()
    {
        return $this->delivery_info['redelivered'] ?? null;
    }

    public function getExchange()
    {
        return $this->delivery_info['exchange'] ?? null;
    }

    public function getRoutingKey()
    {
        return $this->delivery_info['routing_key'] ?? null;
    }

    public function getConsumerTag()
    {
        return $this->delivery_info['consumer_tag'] ?? null;
    }

    public function setConsumerTag($consumerTag)
    {
        $this->delivery_info['consumer_tag'] = $consumerTag;
        return $this;
    }

    /** @return int|null messages left in the queue, after basic_get */
    public function getMessageCount()
    {
        return $this->delivery_info['message_count'] ?? null;
    }

    public function setMessageCount($messageCount)
    {
        $this->delivery_info['message_count'] = (int) $messageCount;
        return $this;
    }

    public function getBody()
    {
        return $this->body;
    }

    public function setBody($body)
    {
        $this->body = $body;
        return $this;
    }

    public function getContentEncoding()
    {
        return $this->content_encoding;
    }

    public function getBodySize()
    {
        return $this->body_size;
    }

    public function setBodySize($body_size)
    {
        $this->body_size = (int) $body_size;
        return $this;
    }

    public function isTruncated()
    {
        return $this->is_truncated;
    }

    public function setIsTruncated($is_truncated)
    {
        $this->is_truncated = (bool) $is_truncated;
        return $this;
    }

    /** Sets the delivery tag of a message that has none yet. */
    public function setDeliveryTag($deliveryTag)
    {
        if (!empty($this->delivery_info['delivery_tag'])) {
            throw new \LogicException('The delivery tag of a delivered message cannot change');
        }
        $this->delivery_info['delivery_tag'] = $deliveryTag;
        return $this;
    }

    /** @throws AMQPEmptyDeliveryTagException for a message that was never delivered */
    public function getDeliveryTag()
    {
        $tag = $this->delivery_info['delivery_tag'] ?? null;
        if (empty($tag)) {
            throw new AMQPEmptyDeliveryTagException('This message has no delivery tag: it was not delivered');
        }
        return $tag;
    }

    /** Whether a property, or else a delivery info entry, of that name is set. */
    public function has($name)
    {
        return isset($this->properties[$name]) || isset($this->delivery_info[$name]);
    }

    /** A property, or else a delivery info entry; \OutOfBoundsException when neither is set. */
    public function get($name)
    {
        if (isset($this->properties[$name])) {
            return $this->properties[$name];
        }
        if (isset($this->delivery_info[$name])) {
            return $this->delivery_info[$name];
        }
        throw new \OutOfBoundsException(sprintf('The message has no "%s" property', $name));
    }

    /** @return array the properties set, by name */
    public function get_properties()
    {
        return $this->properties;
    }

    /** Sets a property; \OutOfBoundsException for a name that is not one of the 14. */
    public function set($name, $value)
    {
        if (!isset(self::PROPERTY_TYPES[$name])) {
            throw new \OutOfBoundsException(sprintf('"%s" is not a message property', $name));
        }
        $this->properties[$name] = $value;
    }
}
