package dev.warren.client;

/** Called with each message of a consumer, on the channel's dispatcher thread. */
@FunctionalInterface
public interface DeliverCallback {
    /**
     * @param consumerTag the consumer's tag
     * @param message the message
     * @throws java.io.IOException reported to the connection's {@link ExceptionHandler}
     */
    void handle(String consumerTag, Delivery message) throws java.io.IOException;
}
