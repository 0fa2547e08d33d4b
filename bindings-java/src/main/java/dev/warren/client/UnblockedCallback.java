package dev.warren.client;

/** Called when the broker unblocks publishers. */
@FunctionalInterface
public interface UnblockedCallback {
    /** @throws java.io.IOException reported to the connection's {@link ExceptionHandler} */
    void handle() throws java.io.IOException;
}
