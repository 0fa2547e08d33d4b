package dev.warren.client;

/** Called when the broker blocks publishers ({@code connection.blocked}). */
@FunctionalInterface
public interface BlockedCallback {
    /**
     * @param reason the broker's reason, e.g. low memory
     * @throws java.io.IOException reported to the connection's {@link ExceptionHandler}
     */
    void handle(String reason) throws java.io.IOException;
}
