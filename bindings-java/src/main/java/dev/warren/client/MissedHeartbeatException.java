package dev.warren.client;

/** The broker stopped sending heartbeats: the connection is considered lost. */
public class MissedHeartbeatException extends java.net.SocketTimeoutException {
    private static final long serialVersionUID = 1L;

    /** @param reason what was missed */
    public MissedHeartbeatException(String reason) {
        super(reason);
    }
}
