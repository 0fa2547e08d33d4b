package dev.warren.client;

/**
 * Told of connections, channels, publishes, deliveries and acknowledgements, for metrics (see
 * {@link ConnectionFactory#setMetricsCollector}). Called on the thread doing the work, so it
 * must be cheap and thread-safe.
 */
public interface MetricsCollector {
    /** @param connection a connection opened */
    void newConnection(Connection connection);

    /** @param connection a connection closed */
    void closeConnection(Connection connection);

    /** @param channel a channel opened */
    void newChannel(Channel channel);

    /** @param channel a channel closed */
    void closeChannel(Channel channel);

    /** @param channel a message was published on it */
    void basicPublish(Channel channel);

    /**
     * @param channel the channel
     * @param cause why a publish failed
     */
    default void basicPublishFailure(Channel channel, Throwable cause) {
    }

    /**
     * @param channel the channel
     * @param deliveryTag the confirmed sequence number
     * @param multiple whether all up to it are confirmed
     */
    default void basicPublishAck(Channel channel, long deliveryTag, boolean multiple) {
    }

    /**
     * @param channel the channel
     * @param deliveryTag the nacked sequence number
     * @param multiple whether all up to it are nacked
     */
    default void basicPublishNack(Channel channel, long deliveryTag, boolean multiple) {
    }

    /** @param channel a mandatory message published on it was returned */
    default void basicPublishUnrouted(Channel channel) {
    }

    /**
     * @param channel the channel
     * @param deliveryTag the delivery tag
     * @param autoAck whether it needs no ack
     */
    void consumedMessage(Channel channel, long deliveryTag, boolean autoAck);

    /**
     * @param channel the channel
     * @param deliveryTag the delivery tag
     * @param consumerTag the consumer that got it
     */
    void consumedMessage(Channel channel, long deliveryTag, String consumerTag);

    /**
     * @param channel the channel
     * @param deliveryTag the tag acked
     * @param multiple whether all up to it
     */
    void basicAck(Channel channel, long deliveryTag, boolean multiple);

    /**
     * @param channel the channel
     * @param deliveryTag the tag nacked
     */
    void basicNack(Channel channel, long deliveryTag);

    /**
     * @param channel the channel
     * @param deliveryTag the tag nacked
     * @param requeue whether it goes back to the queue
     */
    default void basicNack(Channel channel, long deliveryTag, boolean requeue) {
        basicNack(channel, deliveryTag);
    }

    /**
     * @param channel the channel
     * @param deliveryTag the tag rejected
     */
    void basicReject(Channel channel, long deliveryTag);

    /**
     * @param channel the channel
     * @param deliveryTag the tag rejected
     * @param requeue whether it goes back to the queue
     */
    default void basicReject(Channel channel, long deliveryTag, boolean requeue) {
        basicReject(channel, deliveryTag);
    }

    /**
     * @param channel the channel
     * @param consumerTag the new consumer
     * @param autoAck whether it acks automatically
     */
    void basicConsume(Channel channel, String consumerTag, boolean autoAck);

    /**
     * @param channel the channel
     * @param consumerTag the consumer cancelled
     */
    void basicCancel(Channel channel, String consumerTag);
}
