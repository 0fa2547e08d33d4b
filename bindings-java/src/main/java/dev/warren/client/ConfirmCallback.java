package dev.warren.client;

/** Called with a publisher confirm (ack or nack) on the channel's confirm thread. */
@FunctionalInterface
public interface ConfirmCallback {
    /**
     * @param deliveryTag the publish's sequence number ({@link Channel#getNextPublishSeqNo()})
     * @param multiple whether every earlier unconfirmed publish is covered too
     * @throws java.io.IOException reported to the connection's {@link ExceptionHandler}
     */
    void handle(long deliveryTag, boolean multiple) throws java.io.IOException;
}
