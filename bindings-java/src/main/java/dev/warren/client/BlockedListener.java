package dev.warren.client;

/** Told when the broker blocks and unblocks the connection's publishers. */
public interface BlockedListener {
    /**
     * @param reason the broker's reason
     * @throws java.io.IOException reported to the connection's {@link ExceptionHandler}
     */
    void handleBlocked(String reason) throws java.io.IOException;

    /** @throws java.io.IOException reported to the connection's {@link ExceptionHandler} */
    void handleUnblocked() throws java.io.IOException;
}
