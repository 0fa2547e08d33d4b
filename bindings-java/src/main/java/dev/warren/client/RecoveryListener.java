package dev.warren.client;

/** Told when automatic recovery starts and completes, on the connection's event thread. */
public interface RecoveryListener {
    /** @param recoverable the connection, recovered (channels, topology and consumers too) */
    void handleRecovery(Recoverable recoverable);

    /** @param recoverable the connection, about to reconnect */
    void handleRecoveryStarted(Recoverable recoverable);

    /**
     * Not called separately by Warren: topology is restored as part of the reconnection.
     *
     * @param recoverable the connection
     */
    default void handleTopologyRecoveryStarted(Recoverable recoverable) {
    }
}
