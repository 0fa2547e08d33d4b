package dev.warren.client.impl;

import dev.warren.client.AlreadyClosedException;
import dev.warren.client.BlockedCallback;
import dev.warren.client.BlockedListener;
import dev.warren.client.Channel;
import dev.warren.client.Connection;
import dev.warren.client.ExceptionHandler;
import dev.warren.client.MetricsCollector;
import dev.warren.client.RecoverableConnection;
import dev.warren.client.RecoveryListener;
import dev.warren.client.ShutdownListener;
import dev.warren.client.ShutdownSignalException;
import dev.warren.client.TopologyRecoveryException;
import dev.warren.client.UnblockedCallback;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;

/**
 * A {@link Connection} over Warren's Rust core. One thread per connection
 * ({@code warren-events}, not a daemon while the connection is open, as the official client's
 * I/O thread) reads the core's connection events and calls shutdown, blocked and recovery
 * listeners.
 */
public final class WarrenConnection implements RecoverableConnection {
    private final NativeHandle handle;
    private final Map<Integer, WarrenChannel> channels = new ConcurrentHashMap<>();
    private final List<ShutdownListener> shutdownListeners = new CopyOnWriteArrayList<>();
    private final List<BlockedListener> blockedListeners = new CopyOnWriteArrayList<>();
    private final List<RecoveryListener> recoveryListeners = new CopyOnWriteArrayList<>();
    private final ExceptionHandler exceptionHandler;
    /** Told of connections, channels and messages (a no-op one by default). */
    private final MetricsCollector metrics;
    private final Map<String, Object> clientProperties;
    private final String clientProvidedName;
    /** Set once, when the connection ends for good. */
    private volatile ShutdownSignalException closeReason;
    /**
     * Why the link to the broker was lost, while automatic recovery reconnects (null otherwise):
     * as the official client's recovering connection, the connection is not open then and this
     * is its close reason.
     */
    private volatile ShutdownSignalException lostReason;
    /** Whether the core recovers the connection after a loss (settings[4] at open). */
    private volatile boolean automaticRecovery;
    /** The user name, for {@link #toString()}. */
    private final String username;
    /** The virtual host, for {@link #toString()}. */
    private final String virtualHost;
    /** "host address:port" of the broker last connected to, for {@link #toString()}. */
    private volatile String peer = "?";
    /** What the application asked for in close(), reported as the close reason. */
    private volatile ShutdownSignalException requestedClose;
    private volatile String id;
    private volatile Map<String, Object> serverProperties;
    private final Thread eventThread;
    /** The application's thread factory, or null. */
    private final ThreadFactory threadFactory;

    private WarrenConnection(long pointer, ExceptionHandler exceptionHandler, Map<String, Object> clientProperties,
                             String clientProvidedName, ThreadFactory threadFactory, String username,
                             String virtualHost, MetricsCollector metrics) {
        this.handle = new NativeHandle(pointer, Native::connFree);
        this.metrics = metrics;
        this.username = username;
        this.virtualHost = virtualHost;
        this.exceptionHandler = exceptionHandler;
        this.clientProperties = clientProperties;
        this.clientProvidedName = clientProvidedName;
        this.threadFactory = threadFactory;
        this.eventThread = newThread(this::runEvents, "warren-events", false);
        this.handle.registerCleaner(this, null);
    }

    /**
     * Connects (called by {@code ConnectionFactory}).
     *
     * @param hosts host names, tried in order
     * @param ports their ports
     * @param tls 0 plain, 1 TLS unverified, 2 TLS verified
     * @param username user name
     * @param password password
     * @param vhost virtual host
     * @param settings heartbeat, timeouts, limits and recovery settings, see natives.rs
     * @param name connection name, or null
     * @param clientProperties extra client properties
     * @param exceptionHandler told of callback exceptions
     * @param threadFactory makes the connection's Java threads, or null
     * @param metrics told of connections, channels and messages
     * @return the connection
     * @throws IOException if connecting failed
     * @throws TimeoutException if it took too long
     */
    public static WarrenConnection open(String[] hosts, long[] ports, int tls, String username, String password,
                                        String vhost, long[] settings, String name,
                                        Map<String, Object> clientProperties, ExceptionHandler exceptionHandler,
                                        ThreadFactory threadFactory, MetricsCollector metrics)
            throws IOException, TimeoutException {
        Native.init();
        Map<String, Object> props = new HashMap<>();
        if (clientProperties != null) {
            props.putAll(clientProperties);
        }
        long pointer;
        try {
            pointer = Native.connect(hosts, ports, tls, username, password, vhost, settings, name,
                    WireFormat.encodeTable(props));
        } catch (NativeException e) {
            Exception t = Errors.ioOrTimeout(e, null);
            if (t instanceof TimeoutException) {
                throw (TimeoutException) t;
            }
            throw (IOException) t;
        }
        WarrenConnection conn = new WarrenConnection(pointer, exceptionHandler, props, name, threadFactory, username,
                vhost, metrics);
        conn.automaticRecovery = settings.length > 4 && settings[4] != 0;
        conn.notePeer();
        metrics.newConnection(conn);
        conn.eventThread.start();
        return conn;
    }

    /**
     * Makes one of the connection's Java threads: with the application's factory if it set
     * one, else a thread of Warren's with this name.
     */
    Thread newThread(Runnable r, String name, boolean daemon) {
        if (threadFactory != null) {
            return threadFactory.newThread(r);
        }
        Thread t = new Thread(r, name);
        t.setDaemon(daemon);
        return t;
    }

    /** @return the native pointer for a call; release it after. */
    long acquire() {
        long p = handle.acquire();
        if (p == 0) {
            throw new AlreadyClosedException(closeReasonOrClient());
        }
        return p;
    }

    void release() {
        handle.release();
    }

    private ShutdownSignalException closeReasonOrClient() {
        ShutdownSignalException r = closeReason;
        if (r == null) {
            r = requestedClose;
        }
        return r != null ? r : Errors.clientClose(true, this);
    }

    ExceptionHandler exceptionHandler() {
        return exceptionHandler;
    }

    MetricsCollector metrics() {
        return metrics;
    }

    void forget(WarrenChannel ch) {
        channels.remove(ch.getChannelNumber(), ch);
    }

    // --------------------------------------------------------------------------- events

    private void runEvents() {
        while (true) {
            long p = handle.acquire();
            if (p == 0) {
                break;
            }
            byte[] event;
            byte[] endedWith = null;
            boolean ended = false;
            try {
                event = Native.connNextEvent(p, 1000);
                if (event == null && !Native.connIsOpen(p)) {
                    // The Closed event was not seen (e.g. dropped by a full event buffer).
                    ended = true;
                    endedWith = Native.connCloseReason(p);
                }
            } catch (NativeException e) {
                exceptionHandler.handleUnexpectedConnectionDriverException(this, Errors.unchecked(e, this));
                break;
            } finally {
                handle.release();
            }
            if (ended) {
                finish(endedWith == null ? null
                        : Errors.shutdownSignal(new NativeException(endedWith), true, this));
                return;
            }
            if (event == null) {
                continue;
            }
            try {
                if (!handleEvent(new WireFormat.Reader(event))) {
                    break;
                }
            } catch (RuntimeException e) {
                exceptionHandler.handleUnexpectedConnectionDriverException(this, e);
            }
        }
        finish(null);
    }

    /** Handles one event; false once the connection ended. */
    private boolean handleEvent(WireFormat.Reader r) {
        int tag = r.u8();
        switch (tag) {
            case 1: { // blocked
                String reason = r.string();
                for (BlockedListener l : blockedListeners) {
                    try {
                        l.handleBlocked(reason);
                    } catch (Throwable t) {
                        exceptionHandler.handleBlockedListenerException(this, t);
                    }
                }
                return true;
            }
            case 2: // unblocked
                for (BlockedListener l : blockedListeners) {
                    try {
                        l.handleUnblocked();
                    } catch (Throwable t) {
                        exceptionHandler.handleBlockedListenerException(this, t);
                    }
                }
                return true;
            case 3: // connection lost: recovery starts (RECOVERY_STARTED follows)
                connectionLost(Errors.shutdownSignal(NativeException.read(r), true, this));
                return true;
            case 4: { // recovery started
                int attempt = r.u32();
                if (attempt == 1) {
                    for (RecoveryListener l : recoveryListeners) {
                        try {
                            l.handleRecoveryStarted(this);
                        } catch (Throwable t) {
                            exceptionHandler.handleConnectionRecoveryException(this, t);
                        }
                    }
                }
                return true;
            }
            case 5: // recovered
                r.string();
                serverProperties = null;
                lostReason = null;
                notePeer();
                for (WarrenChannel ch : channels.values()) {
                    ch.recovered();
                }
                for (RecoveryListener l : recoveryListeners) {
                    try {
                        l.handleRecovery(this);
                    } catch (Throwable t) {
                        exceptionHandler.handleConnectionRecoveryException(this, t);
                    }
                }
                return true;
            case 6: // recovery failed (Closed follows)
                exceptionHandler.handleConnectionRecoveryException(this,
                        Errors.shutdownSignal(NativeException.read(r), true, this));
                return true;
            case 7: { // topology recovery failed
                String what = r.string();
                NativeException e = NativeException.read(r);
                exceptionHandler.handleTopologyRecoveryException(this, null,
                        new TopologyRecoveryException("could not recover " + what, Errors.translate(e, this)));
                return true;
            }
            case 8: // queue renamed
                r.string();
                r.string();
                return true;
            case 9: { // channel closed by the broker
                int number = r.u16();
                NativeException e = NativeException.read(r);
                WarrenChannel ch = channels.get(number);
                if (ch != null) {
                    ch.closedByBroker(Errors.shutdownSignal(e, false, ch));
                }
                return true;
            }
            case 10: // consumer cancelled: the channel's dispatcher tells the consumer
                r.u16();
                r.string();
                return true;
            case 11: { // closed
                ShutdownSignalException reason;
                if (r.u8() == 1) {
                    reason = Errors.shutdownSignal(NativeException.read(r), true, this);
                } else {
                    reason = closeReasonOrClient();
                }
                finish(reason);
                return false;
            }
            default:
                return true;
        }
    }

    /**
     * The link to the broker was lost and recovery begins. As the official client's recovering
     * connection, whose listeners sit on the connection underneath: the connection's and its
     * channels' shutdown listeners hear of it and consumers get handleShutdownSignal; all stay
     * registered, and hear of the next loss or the final close too.
     */
    private synchronized void connectionLost(ShutdownSignalException reason) {
        if (closeReason != null || requestedClose != null || lostReason != null) {
            return;
        }
        lostReason = reason;
        for (WarrenChannel ch : channels.values()) {
            ch.connectionLost(reason);
        }
        fireShutdownListeners(reason);
    }

    /**
     * A channel's call failed because the connection ended (closed by the broker, or lost).
     * The official client's I/O thread handles such a close before the call's exception is
     * thrown, so the connection is marked (and its listeners told) now, on the caller's thread;
     * the event thread's later report of the same end is then a no-op.
     *
     * @param e the call's error
     */
    void endedDuringCall(NativeException e) {
        ShutdownSignalException reason = Errors.shutdownSignal(e, true, this);
        if (automaticRecovery) {
            connectionLost(reason);
        } else {
            finish(reason);
        }
    }

    private void fireShutdownListeners(ShutdownSignalException reason) {
        for (ShutdownListener l : shutdownListeners) {
            try {
                l.shutdownCompleted(reason);
            } catch (Throwable t) {
                exceptionHandler.handleUnexpectedConnectionDriverException(this, t);
            }
        }
    }

    /** Notes the broker's address and port (after connecting and after each recovery). */
    private void notePeer() {
        long p = handle.acquire();
        if (p == 0) {
            return;
        }
        try {
            InetAddress a = InetAddress.getByName(Native.connHost(p));
            peer = a.getHostAddress() + ":" + Native.connTuning(p)[3];
        } catch (UnknownHostException | RuntimeException e) {
            // Only used for toString: keep the previous value.
        } finally {
            handle.release();
        }
    }

    /** The connection ended: record why, tell channels and listeners (once). */
    private synchronized void finish(ShutdownSignalException reason) {
        if (closeReason != null) {
            return;
        }
        if (reason == null) {
            reason = closeReasonOrClient();
        }
        closeReason = reason;
        lostReason = null;
        for (WarrenChannel ch : channels.values()) {
            ch.connectionClosed(reason);
        }
        channels.clear();
        fireShutdownListeners(reason);
        metrics.closeConnection(this);
        handle.close();
    }

    // --------------------------------------------------------------------------- Connection

    @Override
    public InetAddress getAddress() {
        long p = acquire();
        try {
            return InetAddress.getByName(Native.connHost(p));
        } catch (UnknownHostException e) {
            return null;
        } finally {
            release();
        }
    }

    private long tuning(int index) {
        long p = acquire();
        try {
            return Native.connTuning(p)[index];
        } finally {
            release();
        }
    }

    @Override
    public int getPort() {
        return (int) tuning(3);
    }

    @Override
    public int getChannelMax() {
        return (int) tuning(0);
    }

    @Override
    public int getFrameMax() {
        return (int) tuning(1);
    }

    @Override
    public int getHeartbeat() {
        return (int) tuning(2);
    }

    @Override
    public Map<String, Object> getClientProperties() {
        return Collections.unmodifiableMap(clientProperties);
    }

    @Override
    public String getClientProvidedName() {
        return clientProvidedName;
    }

    @Override
    public Map<String, Object> getServerProperties() {
        Map<String, Object> props = serverProperties;
        if (props == null) {
            long p = acquire();
            try {
                props = WireFormat.decodeTable(Native.connServerProperties(p));
            } finally {
                release();
            }
            serverProperties = props;
        }
        return props;
    }

    @Override
    public Channel createChannel() throws IOException {
        long p = acquire();
        long chPointer;
        try {
            chPointer = Native.connOpenChannel(p);
        } catch (NativeException e) {
            throw Errors.io(e, this);
        } finally {
            release();
        }
        WarrenChannel ch = new WarrenChannel(this, chPointer);
        channels.put(ch.getChannelNumber(), ch);
        metrics.newChannel(ch);
        return ch;
    }

    @Override
    public Channel createChannel(int channelNumber) throws IOException {
        Channel ch = createChannel();
        if (ch.getChannelNumber() != channelNumber) {
            ch.abort();
            return null;
        }
        return ch;
    }

    @Override
    public void close() throws IOException {
        close(200, "OK");
    }

    @Override
    public void close(int closeCode, String closeMessage) throws IOException {
        if (closeReason != null || requestedClose != null) {
            // Idempotent (issue 12); the official client throws AlreadyClosedException here
            // (COMPATIBILITY.md).
            return;
        }
        requestedClose = Errors.clientClose(true, closeCode, closeMessage, this);
        long p = handle.acquire();
        if (p == 0) {
            return;
        }
        try {
            Native.connClose(p, closeCode, closeMessage);
        } catch (NativeException e) {
            if (e.kind() != NativeException.CONNECTION_CLOSED_BY_CLIENT) {
                throw Errors.io(e, this);
            }
        } finally {
            handle.release();
        }
        // The event thread sees Closed and tells the listeners; wait for it unless this is it.
        if (Thread.currentThread() != eventThread) {
            try {
                eventThread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close(int timeout) throws IOException {
        close();
    }

    @Override
    public void close(int closeCode, String closeMessage, int timeout) throws IOException {
        close(closeCode, closeMessage);
    }

    @Override
    public void abort() {
        abort(200, "OK");
    }

    @Override
    public void abort(int closeCode, String closeMessage) {
        try {
            close(closeCode, closeMessage);
        } catch (IOException | RuntimeException e) {
            // abort ignores errors by definition.
        }
    }

    @Override
    public void abort(int timeout) {
        abort();
    }

    @Override
    public void abort(int closeCode, String closeMessage, int timeout) {
        abort(closeCode, closeMessage);
    }

    @Override
    public void addBlockedListener(BlockedListener listener) {
        blockedListeners.add(listener);
    }

    @Override
    public BlockedListener addBlockedListener(BlockedCallback blockedCallback, UnblockedCallback unblockedCallback) {
        BlockedListener l = new BlockedListener() {
            @Override
            public void handleBlocked(String reason) throws IOException {
                blockedCallback.handle(reason);
            }

            @Override
            public void handleUnblocked() throws IOException {
                unblockedCallback.handle();
            }
        };
        blockedListeners.add(l);
        return l;
    }

    @Override
    public boolean removeBlockedListener(BlockedListener listener) {
        return blockedListeners.remove(listener);
    }

    @Override
    public void clearBlockedListeners() {
        blockedListeners.clear();
    }

    @Override
    public ExceptionHandler getExceptionHandler() {
        return exceptionHandler;
    }

    @Override
    public String getId() {
        return id;
    }

    @Override
    public void setId(String id) {
        this.id = id;
    }

    @Override
    public void addShutdownListener(ShutdownListener listener) {
        shutdownListeners.add(listener);
        ShutdownSignalException reason = closeReason;
        // As the official client: a listener added to a connection that already ended is
        // called at once.
        if (reason != null && shutdownListeners.remove(listener)) {
            listener.shutdownCompleted(reason);
        }
    }

    @Override
    public void removeShutdownListener(ShutdownListener listener) {
        shutdownListeners.remove(listener);
    }

    @Override
    public ShutdownSignalException getCloseReason() {
        ShutdownSignalException r = closeReason;
        return r != null ? r : lostReason;
    }

    @Override
    public void notifyListeners() {
        ShutdownSignalException reason = getCloseReason();
        if (reason != null) {
            fireShutdownListeners(reason);
        }
    }

    @Override
    public boolean isOpen() {
        if (closeReason != null || lostReason != null) {
            return false;
        }
        long p = handle.acquire();
        if (p == 0) {
            return false;
        }
        try {
            return Native.connIsOpen(p);
        } finally {
            handle.release();
        }
    }

    @Override
    public void addRecoveryListener(RecoveryListener listener) {
        recoveryListeners.add(listener);
    }

    @Override
    public void removeRecoveryListener(RecoveryListener listener) {
        recoveryListeners.remove(listener);
    }

    /**
     * Opens the core's RPC client (direct reply-to) on a channel of its own.
     *
     * @return its handle
     * @throws IOException if it could not start
     */
    NativeHandle openRpc() throws IOException {
        long p = acquire();
        try {
            return new NativeHandle(Native.rpcOpen(p), Native::rpcFree);
        } catch (NativeException e) {
            throw Errors.io(e, this);
        } finally {
            release();
        }
    }

    @Override
    public String toString() {
        // As the official client's: amqp://user@address:port/vhost
        String vhost = "/".equals(virtualHost) ? virtualHost : "/" + virtualHost;
        return "amqp://" + username + "@" + peer + vhost;
    }
}
