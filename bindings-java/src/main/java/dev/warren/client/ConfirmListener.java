package dev.warren.client;

/** Told of publisher confirms, on the channel's confirm thread. */
public interface ConfirmListener {
    /**
     * @param deliveryTag the publish's sequence number
     * @param multiple whether every earlier unconfirmed publish is acked too
     * @throws java.io.IOException reported to the connection's {@link ExceptionHandler}
     */
    void handleAck(long deliveryTag, boolean multiple) throws java.io.IOException;

    /**
     * Also called for publishes whose connection was lost before the broker answered.
     *
     * @param deliveryTag the publish's sequence number
     * @param multiple whether every earlier unconfirmed publish is nacked too
     * @throws java.io.IOException reported to the connection's {@link ExceptionHandler}
     */
    void handleNack(long deliveryTag, boolean multiple) throws java.io.IOException;
}
