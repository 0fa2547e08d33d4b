package dev.warren.client;

/** Part of the recorded topology could not be recovered after a reconnection. */
public class TopologyRecoveryException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what was being recovered
     * @param cause why it failed
     */
    public TopologyRecoveryException(String message, Throwable cause) {
        super(message, cause);
    }
}
