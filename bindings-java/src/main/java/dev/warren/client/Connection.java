package dev.warren.client;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;

/**
 * A connection to a broker, run by Warren's Rust core on its own threads: heartbeats,
 * acknowledgements and confirms keep flowing while the application's threads are busy, and
 * automatic recovery (on by default) reconnects and restores channels, topology and consumers.
 * Thread-safe. Shutdown, blocked and recovery listeners are called on the connection's event
 * thread ({@code warren-events}). Also a {@link Recoverable}.
 */
public interface Connection extends ShutdownNotifier, java.io.Closeable {
    /** @return the broker's address */
    InetAddress getAddress();

    /** @return the broker's port */
    int getPort();

    /** @return the highest channel number agreed */
    int getChannelMax();

    /** @return the largest frame agreed */
    int getFrameMax();

    /** @return the heartbeat interval agreed, in seconds */
    int getHeartbeat();

    /** @return the client properties sent to the broker */
    Map<String, Object> getClientProperties();

    /** @return the connection name given to {@code newConnection}, or null */
    String getClientProvidedName();

    /** @return the broker's server properties (product, version, capabilities) */
    Map<String, Object> getServerProperties();

    /**
     * @return a new channel
     * @throws IOException if the connection failed or no channel number is free
     */
    Channel createChannel() throws IOException;

    /**
     * Opens a channel with a given number. Warren's core picks channel numbers itself: this
     * returns null when the number it picks is not {@code channelNumber}.
     *
     * @param channelNumber the number wanted
     * @return the channel, or null
     * @throws IOException if the connection failed
     */
    Channel createChannel(int channelNumber) throws IOException;

    /**
     * @return a new channel, or empty
     * @throws IOException if the connection failed
     */
    default Optional<Channel> openChannel() throws IOException {
        return Optional.ofNullable(createChannel());
    }

    /**
     * @param channelNumber the number wanted
     * @return the channel, or empty
     * @throws IOException if the connection failed
     */
    default Optional<Channel> openChannel(int channelNumber) throws IOException {
        return Optional.ofNullable(createChannel(channelNumber));
    }

    /**
     * Closes the connection and its channels (200 OK), waiting for the broker; stops recovery.
     * Idempotent.
     *
     * @throws IOException if the close failed
     */
    @Override
    void close() throws IOException;

    /**
     * @param closeCode the reply code to send
     * @param closeMessage the reply text to send
     * @throws IOException if the close failed
     */
    void close(int closeCode, String closeMessage) throws IOException;

    /**
     * @param timeout ignored: the connection's shutdown timeout applies
     * @throws IOException if the close failed
     */
    void close(int timeout) throws IOException;

    /**
     * @param closeCode the reply code to send
     * @param closeMessage the reply text to send
     * @param timeout ignored: the connection's shutdown timeout applies
     * @throws IOException if the close failed
     */
    void close(int closeCode, String closeMessage, int timeout) throws IOException;

    /** Closes the connection, ignoring any error. */
    void abort();

    /**
     * @param closeCode the reply code to send
     * @param closeMessage the reply text to send
     */
    void abort(int closeCode, String closeMessage);

    /** @param timeout ignored */
    void abort(int timeout);

    /**
     * @param closeCode the reply code to send
     * @param closeMessage the reply text to send
     * @param timeout ignored
     */
    void abort(int closeCode, String closeMessage, int timeout);

    /** @param listener told when the broker blocks and unblocks publishers */
    void addBlockedListener(BlockedListener listener);

    /**
     * @param blockedCallback told when the broker blocks publishers
     * @param unblockedCallback told when it unblocks them
     * @return the listener made of them
     */
    BlockedListener addBlockedListener(BlockedCallback blockedCallback, UnblockedCallback unblockedCallback);

    /**
     * @param listener the listener to remove
     * @return whether it was registered
     */
    boolean removeBlockedListener(BlockedListener listener);

    /** Removes every blocked listener. */
    void clearBlockedListeners();

    /** @return the handler told of exceptions thrown by callbacks */
    ExceptionHandler getExceptionHandler();

    /** @return an identifier for the application's use, or null */
    String getId();

    /** @param id an identifier for the application's use */
    void setId(String id);
}
