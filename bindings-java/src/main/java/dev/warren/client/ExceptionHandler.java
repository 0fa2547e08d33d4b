package dev.warren.client;

/**
 * Told of exceptions thrown by the application's callbacks (consumers, listeners) and of
 * recovery failures. The default, {@link dev.warren.client.impl.DefaultExceptionHandler}, closes
 * the channel of a consumer or listener that threw, as the official client's;
 * {@link dev.warren.client.impl.ForgivingExceptionHandler} keeps it open. Set one with
 * {@link ConnectionFactory#setExceptionHandler(ExceptionHandler)}.
 */
public interface ExceptionHandler {
    /**
     * @param conn the connection
     * @param exception what went wrong in the connection's machinery
     */
    void handleUnexpectedConnectionDriverException(Connection conn, Throwable exception);

    /**
     * @param channel the channel
     * @param exception what a return listener threw
     */
    void handleReturnListenerException(Channel channel, Throwable exception);

    /**
     * @param channel the channel
     * @param exception what a confirm listener threw
     */
    void handleConfirmListenerException(Channel channel, Throwable exception);

    /**
     * @param connection the connection
     * @param exception what a blocked listener threw
     */
    void handleBlockedListenerException(Connection connection, Throwable exception);

    /**
     * @param channel the consumer's channel
     * @param exception what the consumer threw
     * @param consumer the consumer
     * @param consumerTag its tag
     * @param methodName the callback that threw, e.g. {@code "handleDelivery"}
     */
    void handleConsumerException(Channel channel, Throwable exception, Consumer consumer, String consumerTag,
                                 String methodName);

    /**
     * @param conn the connection
     * @param exception why a recovery attempt failed
     */
    void handleConnectionRecoveryException(Connection conn, Throwable exception);

    /**
     * @param ch the channel
     * @param exception why its recovery failed
     */
    void handleChannelRecoveryException(Channel ch, Throwable exception);

    /**
     * @param conn the connection
     * @param ch the channel, or null
     * @param exception what part of the topology could not be recovered
     */
    void handleTopologyRecoveryException(Connection conn, Channel ch, TopologyRecoveryException exception);
}
