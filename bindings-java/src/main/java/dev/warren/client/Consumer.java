package dev.warren.client;

/**
 * Receives a consumer's messages and lifecycle notifications. Every method is called on the
 * channel's dispatcher thread (named {@code warren-dispatch-<channel>}), one at a time and in
 * order, except {@link #handleConsumeOk(String)}, which runs before the first delivery, on the
 * thread that called {@code basicConsume} or on the dispatcher thread.
 */
public interface Consumer {
    /** @param consumerTag the consumer's tag, now registered */
    void handleConsumeOk(String consumerTag);

    /** @param consumerTag the tag of the consumer the application cancelled */
    void handleCancelOk(String consumerTag);

    /**
     * @param consumerTag the tag of the consumer the broker cancelled
     * @throws java.io.IOException reported to the connection's {@link ExceptionHandler}
     */
    void handleCancel(String consumerTag) throws java.io.IOException;

    /**
     * @param consumerTag the consumer's tag
     * @param sig why its channel or connection shut down
     */
    void handleShutdownSignal(String consumerTag, ShutdownSignalException sig);

    /** @param consumerTag the consumer's tag, after {@code basic.recover} */
    void handleRecoverOk(String consumerTag);

    /**
     * @param consumerTag the consumer's tag
     * @param envelope delivery tag, exchange and routing key
     * @param properties the message's properties
     * @param body the message's body
     * @throws java.io.IOException reported to the connection's {@link ExceptionHandler}
     */
    void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
            throws java.io.IOException;
}
