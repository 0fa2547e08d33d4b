package dev.warren.client;

/** Called when a consumer's channel or connection shuts down, on the dispatcher thread. */
@FunctionalInterface
public interface ConsumerShutdownSignalCallback {
    /**
     * @param consumerTag the consumer's tag
     * @param sig why
     */
    void handleShutdownSignal(String consumerTag, ShutdownSignalException sig);
}
