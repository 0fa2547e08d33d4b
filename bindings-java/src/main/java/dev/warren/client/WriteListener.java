package dev.warren.client;

/** Told when a publish given to the ByteBuffer form of {@code basicPublish} has been handed on. */
@FunctionalInterface
public interface WriteListener {
    /**
     * @param success true if the message was handed to the connection
     * @param cause why it failed, or null
     */
    void done(boolean success, Throwable cause);
}
