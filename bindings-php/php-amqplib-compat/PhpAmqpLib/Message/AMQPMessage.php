<?php

namespace PhpAmqpLib\Message;

use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Exception\AMQPEmptyDeliveryTagException;
use PhpAmqpLib\Wire\AMQPTable;

/**
 * A message, php-amqplib's API: a body and the 14 basic properties for publishing; for a
 * received message also its delivery info (channel, consumer tag, delivery tag, redelivered,
 * exchange, routing key) and ack(), nack(), reject().
 */
class AMQPMessage
{
    const DELIVERY_MODE_NON_PERSISTENT = 1;
    const DELIVERY_MODE_PERSISTENT = 2;

    /** @var string */
    public $body;
    /** @var int */
    public $body_size;
    /** @var bool */
    public $is_truncated = false;
    /** @var string|null */
    public $content_encoding;
    /** @var array delivery info: channel, consumer_tag, delivery_tag, redelivered, exchange, routing_key */
    public $delivery_info = array();

    private $deliveryTag;
    private $consumerTag;
    private $redelivered;
    private $exchange;
    private $routingKey;
    private $messageCount;
    /** @var AMQPChannel|null */
    private $channel;
    private $responded = false;

    /** @var array */
    protected $properties = array();

    /** Property name => AMQP type, as php-amqplib lists them. */
    protected static $propertyDefinitions = array(
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
    );

    /** Unknown property names are ignored, as php-amqplib ignores them. */
    public function __construct($body = '', $properties = array())
    {
        $this->setBody($body);
        if (!empty($properties) && is_array($properties)) {
            $this->properties = array_intersect_key($properties, self::$propertyDefinitions);
        }
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
            // With the types as received, as php-amqplib's reader builds it.
            $props['application_headers'] = AMQPTable::fromTyped($m->typedHeaders);
            unset($props['headers']);
        }
        $msg = new static($m->body, $props);
        $msg->body_size = strlen($msg->body);
        $msg->content_encoding = $props['content_encoding'] ?? null;
        if ($channel !== null) {
            $msg->setChannel($channel);
        }
        $msg->setDeliveryInfo($m->deliveryTag, $m->redelivered, $m->exchange, $m->routingKey);
        $tag = $m->consumerTag;
        if ($tag !== '') {
            $msg->setConsumerTag($tag);
        }
        $count = $m->messageCount;
        if ($count !== null) {
            $msg->setMessageCount($count);
        }
        return $msg;
    }

    public function ack($multiple = false)
    {
        $this->assertUnacked();
        $this->channel->basic_ack($this->deliveryTag, $multiple);
        $this->responded = true;
    }

    public function nack($requeue = false, $multiple = false)
    {
        $this->assertUnacked();
        $this->channel->basic_nack($this->deliveryTag, $multiple, $requeue);
        $this->responded = true;
    }

    public function reject($requeue = true)
    {
        $this->assertUnacked();
        $this->channel->basic_reject($this->deliveryTag, $requeue);
        $this->responded = true;
    }

    protected function assertUnacked()
    {
        if (!$this->channel || $this->responded) {
            throw new \LogicException('Message is not published or response was already sent');
        }
    }

    public function getChannel()
    {
        return $this->channel;
    }

    public function setChannel($channel)
    {
        if ($this->channel) {
            throw new \RuntimeException('A message is already assigned to channel');
        }
        $this->channel = $channel;
        $this->delivery_info['channel'] = $channel;
        return $this;
    }

    public function setDeliveryInfo($deliveryTag, $redelivered, $exchange, $routingKey)
    {
        $this->deliveryTag = $this->delivery_info['delivery_tag'] = $deliveryTag;
        $this->redelivered = $this->delivery_info['redelivered'] = $redelivered;
        $this->exchange = $this->delivery_info['exchange'] = $exchange;
        $this->routingKey = $this->delivery_info['routing_key'] = $routingKey;
        return $this;
    }

    public function isRedelivered()
    {
        return $this->redelivered;
    }

    public function getExchange()
    {
        return $this->exchange;
    }

    public function getRoutingKey()
    {
        return $this->routingKey;
    }

    public function getConsumerTag()
    {
        return $this->consumerTag;
    }

    public function setConsumerTag($consumerTag)
    {
        $this->consumerTag = $consumerTag;
        $this->delivery_info['consumer_tag'] = $consumerTag;
        return $this;
    }

    public function getMessageCount()
    {
        return $this->messageCount;
    }

    public function setMessageCount($messageCount)
    {
        $this->messageCount = (int) $messageCount;
        $this->delivery_info['message_count'] = $this->messageCount;
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

    public function setDeliveryTag($deliveryTag)
    {
        if (!empty($this->deliveryTag)) {
            throw new \LogicException('Delivery tag cannot be changed');
        }
        $this->deliveryTag = $deliveryTag;
        $this->delivery_info['delivery_tag'] = $deliveryTag;
        return $this;
    }

    public function getDeliveryTag()
    {
        if (empty($this->deliveryTag)) {
            throw new AMQPEmptyDeliveryTagException('This message was not delivered yet');
        }
        return $this->deliveryTag;
    }

    /** Whether a property (or delivery info entry) is set. */
    public function has($name)
    {
        return isset($this->properties[$name]) || isset($this->delivery_info[$name]);
    }

    /** A property or delivery info entry; \OutOfBoundsException when absent. */
    public function get($name)
    {
        if (isset($this->properties[$name])) {
            return $this->properties[$name];
        }
        if (isset($this->delivery_info[$name])) {
            return $this->delivery_info[$name];
        }
        throw new \OutOfBoundsException(sprintf('No "%s" property', $name));
    }

    public function get_properties()
    {
        return $this->properties;
    }

    /** Sets a property; \OutOfBoundsException for a name that is not one. */
    public function set($name, $value)
    {
        if (!array_key_exists($name, self::$propertyDefinitions)) {
            throw new \OutOfBoundsException(sprintf('No "%s" property', $name));
        }
        $this->properties[$name] = $value;
    }
}
