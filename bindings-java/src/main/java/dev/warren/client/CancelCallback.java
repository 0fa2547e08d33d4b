package dev.warren.client;

/** Called when the broker cancels a consumer (e.g. its queue was deleted), on the dispatcher thread. */
@FunctionalInterface
public interface CancelCallback {
    /**
     * @param consumerTag the consumer's tag
     * @throws java.io.IOException reported to the connection's {@link ExceptionHandler}
     */
    void handle(String consumerTag) throws java.io.IOException;
}
