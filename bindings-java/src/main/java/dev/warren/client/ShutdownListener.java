package dev.warren.client;

/** Told when a connection or channel shuts down. */
@FunctionalInterface
public interface ShutdownListener extends java.util.EventListener {
    /** @param cause why it shut down */
    void shutdownCompleted(ShutdownSignalException cause);
}
