package dev.warren.client.impl;

import dev.warren.client.AMQP;
import dev.warren.client.AlreadyClosedException;
import dev.warren.client.BuiltinExchangeType;
import dev.warren.client.CancelCallback;
import dev.warren.client.Channel;
import dev.warren.client.ConfirmCallback;
import dev.warren.client.ConfirmListener;
import dev.warren.client.Connection;
import dev.warren.client.Consumer;
import dev.warren.client.ConsumerShutdownSignalCallback;
import dev.warren.client.DeliverCallback;
import dev.warren.client.Delivery;
import dev.warren.client.Envelope;
import dev.warren.client.GetResponse;
import dev.warren.client.RecoverableChannel;
import dev.warren.client.RecoveryListener;
import dev.warren.client.Return;
import dev.warren.client.ReturnCallback;
import dev.warren.client.ReturnListener;
import dev.warren.client.ShutdownListener;
import dev.warren.client.ShutdownSignalException;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

/**
 * A {@link Channel} over Warren's Rust core. Every method is one native call. Consumers'
 * deliveries are pulled in batches (one JNI crossing for many messages) by the channel's
 * dispatcher thread, which runs while the channel has consumers; confirm and return listeners
 * have a thread each, started by the first listener.
 */
public final class WarrenChannel implements RecoverableChannel {
    /** How long a pulling thread waits in native code before looking at the Java side again. */
    private static final long POLL_MS = 200;

    private final WarrenConnection connection;
    private final NativeHandle handle;
    private final int number;
    private final List<ShutdownListener> shutdownListeners = new CopyOnWriteArrayList<>();
    private final List<ConfirmListener> confirmListeners = new CopyOnWriteArrayList<>();
    private final List<ReturnListener> returnListeners = new CopyOnWriteArrayList<>();
    private final Map<String, ConsumerRecord> consumers = new ConcurrentHashMap<>();
    private final Object threadLock = new Object();
    private Thread dispatcher;
    private Thread confirmThread;
    private Thread returnThread;
    private volatile Consumer defaultConsumer;
    /** Set once, when the channel ends. */
    private volatile ShutdownSignalException closeReason;
    /** The connection's loss while automatic recovery reconnects (null otherwise). */
    private volatile ShutdownSignalException lostReason;
    /**
     * Consumer callbacks that are not deliveries (shutdown signals and consume-oks around a
     * recovery), run by the dispatcher between batches so a consumer's callbacks never overlap.
     */
    private final Queue<Runnable> consumerTasks = new ConcurrentLinkedQueue<>();
    /** The last properties published, and their encoding. */
    private volatile EncodedProperties lastProperties;

    /** Properties and their bytes, cached together. */
    private static final class EncodedProperties {
        final AMQP.BasicProperties props;
        final byte[] bytes;

        EncodedProperties(AMQP.BasicProperties props, byte[] bytes) {
            this.props = props;
            this.bytes = bytes;
        }
    }

    /** A consumer and its state. */
    private static final class ConsumerRecord {
        final String tag;
        final Consumer consumer;
        /** handleConsumeOk was called (guarded by this record). */
        boolean okDelivered;

        ConsumerRecord(String tag, Consumer consumer) {
            this.tag = tag;
            this.consumer = consumer;
        }

        synchronized void consumeOk() {
            if (!okDelivered) {
                okDelivered = true;
                consumer.handleConsumeOk(tag);
            }
        }
    }

    WarrenChannel(WarrenConnection connection, long pointer) {
        this.connection = connection;
        this.handle = new NativeHandle(pointer, Native::chFree);
        long p = handle.acquire();
        try {
            this.number = Native.chNumber(p);
        } finally {
            handle.release();
        }
        this.handle.registerCleaner(this, null);
    }

    private long acquire() {
        long p = handle.acquire();
        if (p == 0) {
            throw new AlreadyClosedException(closeReasonOrClient());
        }
        ShutdownSignalException reason = closeReason;
        if (reason != null) {
            handle.release();
            throw new AlreadyClosedException(reason);
        }
        return p;
    }

    private void release() {
        handle.release();
    }

    private ShutdownSignalException closeReasonOrClient() {
        ShutdownSignalException r = closeReason;
        return r != null ? r : Errors.clientClose(false, this);
    }

    /** A native failure as this method's IOException; records the channel's end if it ended. */
    private IOException fail(NativeException e) {
        noteClosure(e);
        return Errors.io(e, this);
    }

    private void noteClosure(NativeException e) {
        int k = e.kind();
        if (k == NativeException.CONNECTION_CLOSED || k == NativeException.CONNECTION_LOST) {
            connection.endedDuringCall(e);
            return;
        }
        if (k == NativeException.CHANNEL_CLOSED || k == NativeException.MESSAGE_TOO_LARGE
                || k == NativeException.BAD_CONTENT) {
            closedByBroker(Errors.shutdownSignal(e, false, this));
        }
    }

    // ------------------------------------------------------------------- lifecycle callbacks

    /** The broker closed the channel (from the connection's event thread or a failed call). */
    void closedByBroker(ShutdownSignalException reason) {
        ended(reason);
    }

    /** The connection ended. */
    void connectionClosed(ShutdownSignalException reason) {
        ended(reason);
    }

    /**
     * The connection was lost and is being recovered: as a channel of the official client's
     * recovering connection, tell the shutdown listeners and the consumers (which stay
     * registered and go on after recovery).
     */
    void connectionLost(ShutdownSignalException reason) {
        if (closeReason != null) {
            return;
        }
        lostReason = reason;
        for (ShutdownListener l : shutdownListeners) {
            try {
                l.shutdownCompleted(reason);
            } catch (Throwable t) {
                connection.exceptionHandler().handleUnexpectedConnectionDriverException(connection, t);
            }
        }
        for (ConsumerRecord rec : consumers.values()) {
            consumerTasks.add(() -> {
                try {
                    rec.consumer.handleShutdownSignal(rec.tag, reason);
                } catch (Throwable t) {
                    connection.exceptionHandler().handleConsumerException(this, t, rec.consumer, rec.tag,
                            "handleShutdownSignal");
                }
            });
        }
    }

    /** The connection and this channel were recovered: consumers hear handleConsumeOk again. */
    void recovered() {
        lostReason = null;
        for (ConsumerRecord rec : consumers.values()) {
            consumerTasks.add(() -> {
                try {
                    rec.consumer.handleConsumeOk(rec.tag);
                } catch (Throwable t) {
                    connection.exceptionHandler().handleConsumerException(this, t, rec.consumer, rec.tag,
                            "handleConsumeOk");
                }
            });
        }
    }

    /** Runs the queued consumer callbacks (on the dispatcher). */
    private void runConsumerTasks() {
        Runnable task;
        while ((task = consumerTasks.poll()) != null) {
            task.run();
        }
    }

    private void ended(ShutdownSignalException reason) {
        synchronized (this) {
            if (closeReason != null) {
                return;
            }
            closeReason = reason;
            lostReason = null;
        }
        // Signals of a loss not yet delivered are replaced by the final one.
        consumerTasks.clear();
        connection.forget(this);
        connection.metrics().closeChannel(this);
        for (ShutdownListener l : shutdownListeners) {
            try {
                l.shutdownCompleted(reason);
            } catch (Throwable t) {
                connection.exceptionHandler().handleUnexpectedConnectionDriverException(connection, t);
            }
        }
        synchronized (threadLock) {
            if (dispatcher == null && confirmThread == null && returnThread == null) {
                handle.close();
            }
        }
    }

    /** A pulling thread ended; the last one frees the handle if the channel is over. */
    private void threadEnded(Thread t) {
        synchronized (threadLock) {
            if (dispatcher == t) {
                dispatcher = null;
            }
            if (confirmThread == t) {
                confirmThread = null;
            }
            if (returnThread == t) {
                returnThread = null;
            }
            if (closeReason != null && dispatcher == null && confirmThread == null && returnThread == null) {
                handle.close();
            }
        }
    }

    // ------------------------------------------------------------------- Channel: basics

    @Override
    public int getChannelNumber() {
        return number;
    }

    @Override
    public Connection getConnection() {
        return connection;
    }

    @Override
    public void close() throws IOException, TimeoutException {
        close(200, "OK");
    }

    @Override
    public void close(int closeCode, String closeMessage) throws IOException, TimeoutException {
        ShutdownSignalException already = closeReason;
        if (already != null) {
            // close() is idempotent (issue 12) where the application closed the channel; the
            // official client throws AlreadyClosedException there too (COMPATIBILITY.md).
            if (already.isInitiatedByApplication()) {
                return;
            }
            throw new AlreadyClosedException(already);
        }
        long p = handle.acquire();
        if (p == 0) {
            return;
        }
        try {
            Native.chClose(p, closeCode, closeMessage);
        } catch (NativeException e) {
            int k = e.kind();
            if (k != NativeException.CHANNEL_CLOSED_BY_CLIENT && k != NativeException.CONNECTION_CLOSED_BY_CLIENT) {
                Exception t = Errors.ioOrTimeout(e, this);
                noteClosure(e);
                if (t instanceof TimeoutException) {
                    throw (TimeoutException) t;
                }
                throw (IOException) t;
            }
        } finally {
            handle.release();
        }
        ended(Errors.clientClose(false, closeCode, closeMessage, this));
    }

    @Override
    public void abort() throws IOException {
        abort(200, "OK");
    }

    @Override
    public void abort(int closeCode, String closeMessage) throws IOException {
        try {
            close(closeCode, closeMessage);
        } catch (IOException | TimeoutException | RuntimeException e) {
            // abort ignores errors by definition.
        }
    }

    @Override
    public void addShutdownListener(ShutdownListener listener) {
        shutdownListeners.add(listener);
        ShutdownSignalException reason = closeReason;
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
            for (ShutdownListener l : shutdownListeners) {
                l.shutdownCompleted(reason);
            }
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
            return Native.chIsOpen(p);
        } finally {
            handle.release();
        }
    }

    @Override
    public void addRecoveryListener(RecoveryListener listener) {
        connection.addRecoveryListener(listener);
    }

    @Override
    public void removeRecoveryListener(RecoveryListener listener) {
        connection.removeRecoveryListener(listener);
    }

    // ------------------------------------------------------------------- topology

    @Override
    public AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, String type) throws IOException {
        return exchangeDeclare(exchange, type, false, false, false, null);
    }

    @Override
    public AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, BuiltinExchangeType type) throws IOException {
        return exchangeDeclare(exchange, type.getType());
    }

    @Override
    public AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, String type, boolean durable)
            throws IOException {
        return exchangeDeclare(exchange, type, durable, false, false, null);
    }

    @Override
    public AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, BuiltinExchangeType type, boolean durable)
            throws IOException {
        return exchangeDeclare(exchange, type.getType(), durable);
    }

    @Override
    public AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, String type, boolean durable,
                                                   boolean autoDelete, Map<String, Object> arguments)
            throws IOException {
        return exchangeDeclare(exchange, type, durable, autoDelete, false, arguments);
    }

    @Override
    public AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, BuiltinExchangeType type, boolean durable,
                                                   boolean autoDelete, Map<String, Object> arguments)
            throws IOException {
        return exchangeDeclare(exchange, type.getType(), durable, autoDelete, arguments);
    }

    @Override
    public AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, String type, boolean durable,
                                                   boolean autoDelete, boolean internal,
                                                   Map<String, Object> arguments) throws IOException {
        declareExchange(exchange, type, flags(false, durable, autoDelete, internal, false), arguments);
        return Methods.EXCHANGE_DECLARE_OK;
    }

    @Override
    public AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, BuiltinExchangeType type, boolean durable,
                                                   boolean autoDelete, boolean internal,
                                                   Map<String, Object> arguments) throws IOException {
        return exchangeDeclare(exchange, type.getType(), durable, autoDelete, internal, arguments);
    }

    @Override
    public void exchangeDeclareNoWait(String exchange, String type, boolean durable, boolean autoDelete,
                                      boolean internal, Map<String, Object> arguments) throws IOException {
        declareExchange(exchange, type, flags(false, durable, autoDelete, internal, true), arguments);
    }

    @Override
    public void exchangeDeclareNoWait(String exchange, BuiltinExchangeType type, boolean durable,
                                      boolean autoDelete, boolean internal, Map<String, Object> arguments)
            throws IOException {
        exchangeDeclareNoWait(exchange, type.getType(), durable, autoDelete, internal, arguments);
    }

    @Override
    public AMQP.Exchange.DeclareOk exchangeDeclarePassive(String name) throws IOException {
        declareExchange(name, "", Native.PASSIVE, null);
        return Methods.EXCHANGE_DECLARE_OK;
    }

    private static int flags(boolean passive, boolean durable, boolean autoDelete, boolean internal,
                             boolean nowait) {
        return (passive ? Native.PASSIVE : 0) | (durable ? Native.DURABLE : 0)
                | (autoDelete ? Native.AUTO_DELETE : 0) | (internal ? Native.INTERNAL : 0)
                | (nowait ? Native.NOWAIT : 0);
    }

    private void declareExchange(String exchange, String type, int flags, Map<String, Object> arguments)
            throws IOException {
        byte[] args = WireFormat.encodeTable(arguments);
        long p = acquire();
        try {
            Native.chExchangeDeclare(p, exchange, type, flags, args);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
    }

    @Override
    public AMQP.Exchange.DeleteOk exchangeDelete(String exchange, boolean ifUnused) throws IOException {
        deleteExchange(exchange, ifUnused, false);
        return Methods.EXCHANGE_DELETE_OK;
    }

    @Override
    public void exchangeDeleteNoWait(String exchange, boolean ifUnused) throws IOException {
        deleteExchange(exchange, ifUnused, true);
    }

    @Override
    public AMQP.Exchange.DeleteOk exchangeDelete(String exchange) throws IOException {
        return exchangeDelete(exchange, false);
    }

    private void deleteExchange(String exchange, boolean ifUnused, boolean nowait) throws IOException {
        long p = acquire();
        try {
            Native.chExchangeDelete(p, exchange, ifUnused, nowait);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
    }

    private void bindExchange(String destination, String source, String routingKey, Map<String, Object> arguments,
                              boolean unbind, boolean nowait) throws IOException {
        byte[] args = WireFormat.encodeTable(arguments);
        long p = acquire();
        try {
            Native.chExchangeBind(p, destination, source, routingKey, args, unbind, nowait);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
    }

    @Override
    public AMQP.Exchange.BindOk exchangeBind(String destination, String source, String routingKey)
            throws IOException {
        return exchangeBind(destination, source, routingKey, null);
    }

    @Override
    public AMQP.Exchange.BindOk exchangeBind(String destination, String source, String routingKey,
                                             Map<String, Object> arguments) throws IOException {
        bindExchange(destination, source, routingKey, arguments, false, false);
        return Methods.EXCHANGE_BIND_OK;
    }

    @Override
    public void exchangeBindNoWait(String destination, String source, String routingKey,
                                   Map<String, Object> arguments) throws IOException {
        bindExchange(destination, source, routingKey, arguments, false, true);
    }

    @Override
    public AMQP.Exchange.UnbindOk exchangeUnbind(String destination, String source, String routingKey)
            throws IOException {
        return exchangeUnbind(destination, source, routingKey, null);
    }

    @Override
    public AMQP.Exchange.UnbindOk exchangeUnbind(String destination, String source, String routingKey,
                                                 Map<String, Object> arguments) throws IOException {
        bindExchange(destination, source, routingKey, arguments, true, false);
        return Methods.EXCHANGE_UNBIND_OK;
    }

    @Override
    public void exchangeUnbindNoWait(String destination, String source, String routingKey,
                                     Map<String, Object> arguments) throws IOException {
        bindExchange(destination, source, routingKey, arguments, true, true);
    }

    @Override
    public AMQP.Queue.DeclareOk queueDeclare() throws IOException {
        return queueDeclare("", false, true, true, null);
    }

    @Override
    public AMQP.Queue.DeclareOk queueDeclare(String queue, boolean durable, boolean exclusive, boolean autoDelete,
                                             Map<String, Object> arguments) throws IOException {
        int f = (durable ? Native.DURABLE : 0) | (exclusive ? Native.EXCLUSIVE : 0)
                | (autoDelete ? Native.AUTO_DELETE : 0);
        return declareQueue(queue, f, arguments);
    }

    private AMQP.Queue.DeclareOk declareQueue(String queue, int flags, Map<String, Object> arguments)
            throws IOException {
        byte[] args = WireFormat.encodeTable(arguments);
        long p = acquire();
        byte[] ok;
        try {
            ok = Native.chQueueDeclare(p, queue, flags, args);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
        if (ok == null) {
            return new Methods.QueueDeclareOk(queue, 0, 0);
        }
        WireFormat.Reader r = new WireFormat.Reader(ok);
        int messages = r.u32();
        int consumers = r.u32();
        return new Methods.QueueDeclareOk(r.string(), messages, consumers);
    }

    @Override
    public void queueDeclareNoWait(String queue, boolean durable, boolean exclusive, boolean autoDelete,
                                   Map<String, Object> arguments) throws IOException {
        int f = (durable ? Native.DURABLE : 0) | (exclusive ? Native.EXCLUSIVE : 0)
                | (autoDelete ? Native.AUTO_DELETE : 0) | Native.NOWAIT;
        declareQueue(queue, f, arguments);
    }

    @Override
    public AMQP.Queue.DeclareOk queueDeclarePassive(String queue) throws IOException {
        return declareQueue(queue, Native.PASSIVE, null);
    }

    @Override
    public AMQP.Queue.DeleteOk queueDelete(String queue) throws IOException {
        return queueDelete(queue, false, false);
    }

    @Override
    public AMQP.Queue.DeleteOk queueDelete(String queue, boolean ifUnused, boolean ifEmpty) throws IOException {
        long p = acquire();
        try {
            long n = Native.chQueueDelete(p, queue, ifUnused, ifEmpty, false);
            return new Methods.CountOk(41, "queue.delete-ok", (int) n);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
    }

    @Override
    public void queueDeleteNoWait(String queue, boolean ifUnused, boolean ifEmpty) throws IOException {
        long p = acquire();
        try {
            Native.chQueueDelete(p, queue, ifUnused, ifEmpty, true);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
    }

    private void bindQueue(String queue, String exchange, String routingKey, Map<String, Object> arguments,
                           boolean unbind, boolean nowait) throws IOException {
        byte[] args = WireFormat.encodeTable(arguments);
        long p = acquire();
        try {
            Native.chQueueBind(p, queue, exchange, routingKey, args, unbind, nowait);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
    }

    @Override
    public AMQP.Queue.BindOk queueBind(String queue, String exchange, String routingKey) throws IOException {
        return queueBind(queue, exchange, routingKey, null);
    }

    @Override
    public AMQP.Queue.BindOk queueBind(String queue, String exchange, String routingKey,
                                       Map<String, Object> arguments) throws IOException {
        bindQueue(queue, exchange, routingKey, arguments, false, false);
        return Methods.QUEUE_BIND_OK;
    }

    @Override
    public void queueBindNoWait(String queue, String exchange, String routingKey, Map<String, Object> arguments)
            throws IOException {
        bindQueue(queue, exchange, routingKey, arguments, false, true);
    }

    @Override
    public AMQP.Queue.UnbindOk queueUnbind(String queue, String exchange, String routingKey) throws IOException {
        return queueUnbind(queue, exchange, routingKey, null);
    }

    @Override
    public AMQP.Queue.UnbindOk queueUnbind(String queue, String exchange, String routingKey,
                                           Map<String, Object> arguments) throws IOException {
        bindQueue(queue, exchange, routingKey, arguments, true, false);
        return Methods.QUEUE_UNBIND_OK;
    }

    @Override
    public AMQP.Queue.PurgeOk queuePurge(String queue) throws IOException {
        long p = acquire();
        try {
            return new Methods.CountOk(31, "queue.purge-ok", (int) Native.chQueuePurge(p, queue));
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
    }

    @Override
    public long messageCount(String queue) throws IOException {
        return queueDeclarePassive(queue).getMessageCount();
    }

    @Override
    public long consumerCount(String queue) throws IOException {
        return queueDeclarePassive(queue).getConsumerCount();
    }

    // ------------------------------------------------------------------- publishing

    @Override
    public void basicQos(int prefetchSize, int prefetchCount, boolean global) throws IOException {
        long p = acquire();
        try {
            Native.chBasicQos(p, prefetchCount, global);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
    }

    @Override
    public void basicQos(int prefetchCount, boolean global) throws IOException {
        basicQos(0, prefetchCount, global);
    }

    @Override
    public void basicQos(int prefetchCount) throws IOException {
        basicQos(0, prefetchCount, false);
    }

    @Override
    public void basicPublish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body)
            throws IOException {
        basicPublish(exchange, routingKey, false, false, props, body);
    }

    @Override
    public void basicPublish(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties props,
                             byte[] body) throws IOException {
        basicPublish(exchange, routingKey, mandatory, false, props, body);
    }

    @Override
    public void basicPublish(String exchange, String routingKey, boolean mandatory, boolean immediate,
                             AMQP.BasicProperties props, byte[] body) throws IOException {
        byte[] encoded = encode(props);
        int f = (mandatory ? Native.MANDATORY : 0) | (immediate ? Native.IMMEDIATE : 0);
        long p = acquire();
        try {
            Native.chPublish(p, exchange, routingKey, f, encoded, body);
        } catch (NativeException e) {
            IOException failure = fail(e);
            connection.metrics().basicPublishFailure(this, failure);
            throw failure;
        } finally {
            release();
        }
        connection.metrics().basicPublish(this);
    }

    /** Encodes properties, reusing the last encoding for the same (header-less) instance. */
    private byte[] encode(AMQP.BasicProperties props) {
        if (props == null) {
            return null;
        }
        EncodedProperties last = lastProperties;
        if (last != null && last.props == props) {
            return last.bytes;
        }
        // Properties are immutable (headers are copied into a read-only map): keep the bytes.
        byte[] bytes = WireFormat.encodeProperties(props);
        lastProperties = new EncodedProperties(props, bytes);
        return bytes;
    }

    // ------------------------------------------------------------------- get, ack

    @Override
    public GetResponse basicGet(String queue, boolean autoAck) throws IOException {
        long p = acquire();
        byte[] got;
        try {
            got = Native.chGet(p, queue, autoAck);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
        if (got == null) {
            return null;
        }
        WireFormat.Reader r = new WireFormat.Reader(got);
        r.string();
        long tag = r.u64();
        boolean redelivered = r.u8() != 0;
        String exchange = r.string();
        String routingKey = r.string();
        int messageCount = r.u32();
        AMQP.BasicProperties props = WireFormat.readProperties(r);
        byte[] body = r.longBytes();
        connection.metrics().consumedMessage(this, tag, autoAck);
        return new GetResponse(new Envelope(tag, redelivered, exchange, routingKey), props, body,
                messageCount == -1 ? 0 : messageCount);
    }

    private void settle(int op, long deliveryTag, boolean multiple, boolean requeue) throws IOException {
        long p = acquire();
        try {
            Native.chSettle(p, op, deliveryTag, multiple, requeue);
        } catch (NativeException e) {
            if (e.kind() == NativeException.STALE_DELIVERY_TAG) {
                // As the official client's recovering channel: a tag from before a recovery is
                // dropped; the broker already requeued that message.
                return;
            }
            throw fail(e);
        } finally {
            release();
        }
    }

    @Override
    public void basicAck(long deliveryTag, boolean multiple) throws IOException {
        settle(0, deliveryTag, multiple, false);
        connection.metrics().basicAck(this, deliveryTag, multiple);
    }

    @Override
    public void basicNack(long deliveryTag, boolean multiple, boolean requeue) throws IOException {
        settle(1, deliveryTag, multiple, requeue);
        connection.metrics().basicNack(this, deliveryTag, requeue);
    }

    @Override
    public void basicReject(long deliveryTag, boolean requeue) throws IOException {
        settle(2, deliveryTag, false, requeue);
        connection.metrics().basicReject(this, deliveryTag, requeue);
    }

    @Override
    public AMQP.Basic.RecoverOk basicRecover() throws IOException {
        return basicRecover(true);
    }

    @Override
    public AMQP.Basic.RecoverOk basicRecover(boolean requeue) throws IOException {
        long p = acquire();
        try {
            Native.chRecover(p, requeue);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
        for (ConsumerRecord rec : consumers.values()) {
            rec.consumer.handleRecoverOk(rec.tag);
        }
        return Methods.RECOVER_OK;
    }

    // ------------------------------------------------------------------- modes

    private void mode(int op) throws IOException {
        long p = acquire();
        try {
            Native.chMode(p, op);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
    }

    @Override
    public AMQP.Confirm.SelectOk confirmSelect() throws IOException {
        mode(0);
        return Methods.CONFIRM_SELECT_OK;
    }

    @Override
    public AMQP.Tx.SelectOk txSelect() throws IOException {
        mode(1);
        return Methods.TX_SELECT_OK;
    }

    @Override
    public AMQP.Tx.CommitOk txCommit() throws IOException {
        mode(2);
        return Methods.TX_COMMIT_OK;
    }

    @Override
    public AMQP.Tx.RollbackOk txRollback() throws IOException {
        mode(3);
        return Methods.TX_ROLLBACK_OK;
    }

    @Override
    public long getNextPublishSeqNo() {
        long p = handle.acquire();
        if (p == 0) {
            return 0;
        }
        try {
            return Native.chNextPublishSeqNo(p);
        } finally {
            handle.release();
        }
    }

    private boolean waitConfirms(long timeoutMs) throws TimeoutException {
        long p = acquire();
        try {
            return Native.chWaitForConfirms(p, timeoutMs);
        } catch (NativeException e) {
            noteClosure(e);
            Exception t = Errors.translate(e, this);
            if (t instanceof TimeoutException) {
                throw (TimeoutException) t;
            }
            throw Errors.unchecked(e, this);
        } finally {
            release();
        }
    }

    @Override
    public boolean waitForConfirms() throws InterruptedException {
        try {
            return waitConfirms(-1);
        } catch (TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean waitForConfirms(long timeout) throws InterruptedException, TimeoutException {
        return waitConfirms(timeout <= 0 ? -1 : timeout);
    }

    @Override
    public void waitForConfirmsOrDie() throws IOException, InterruptedException {
        if (!waitForConfirms()) {
            abort(200, "NACKS RECEIVED");
            throw new IOException("nacks received");
        }
    }

    @Override
    public void waitForConfirmsOrDie(long timeout) throws IOException, InterruptedException, TimeoutException {
        boolean ok;
        try {
            ok = waitForConfirms(timeout);
        } catch (TimeoutException e) {
            abort(406, "TIMEOUT WAITING FOR ACK");
            throw e;
        }
        if (!ok) {
            abort(200, "NACKS RECEIVED");
            throw new IOException("nacks received");
        }
    }

    // ------------------------------------------------------------------- consumers

    @Override
    public Consumer getDefaultConsumer() {
        return defaultConsumer;
    }

    @Override
    public void setDefaultConsumer(Consumer consumer) {
        this.defaultConsumer = consumer;
    }

    @Override
    public String basicConsume(String queue, Consumer callback) throws IOException {
        return basicConsume(queue, false, callback);
    }

    @Override
    public String basicConsume(String queue, DeliverCallback deliverCallback, CancelCallback cancelCallback)
            throws IOException {
        return basicConsume(queue, false, deliverCallback, cancelCallback);
    }

    @Override
    public String basicConsume(String queue, DeliverCallback deliverCallback,
                               ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException {
        return basicConsume(queue, false, deliverCallback, shutdownSignalCallback);
    }

    @Override
    public String basicConsume(String queue, DeliverCallback deliverCallback, CancelCallback cancelCallback,
                               ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException {
        return basicConsume(queue, false, deliverCallback, cancelCallback, shutdownSignalCallback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, Consumer callback) throws IOException {
        return basicConsume(queue, autoAck, "", callback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, DeliverCallback deliverCallback,
                               CancelCallback cancelCallback) throws IOException {
        return basicConsume(queue, autoAck, "", deliverCallback, cancelCallback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, DeliverCallback deliverCallback,
                               ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException {
        return basicConsume(queue, autoAck, "", deliverCallback, shutdownSignalCallback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, DeliverCallback deliverCallback,
                               CancelCallback cancelCallback, ConsumerShutdownSignalCallback shutdownSignalCallback)
            throws IOException {
        return basicConsume(queue, autoAck, "", deliverCallback, cancelCallback, shutdownSignalCallback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, Map<String, Object> arguments, Consumer callback)
            throws IOException {
        return basicConsume(queue, autoAck, "", false, false, arguments, callback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, Map<String, Object> arguments,
                               DeliverCallback deliverCallback, CancelCallback cancelCallback) throws IOException {
        return basicConsume(queue, autoAck, "", false, false, arguments, deliverCallback, cancelCallback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, Map<String, Object> arguments,
                               DeliverCallback deliverCallback, ConsumerShutdownSignalCallback shutdownSignalCallback)
            throws IOException {
        return basicConsume(queue, autoAck, "", false, false, arguments, deliverCallback, shutdownSignalCallback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, Map<String, Object> arguments,
                               DeliverCallback deliverCallback, CancelCallback cancelCallback,
                               ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException {
        return basicConsume(queue, autoAck, "", false, false, arguments, deliverCallback, cancelCallback,
                shutdownSignalCallback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, String consumerTag, Consumer callback)
            throws IOException {
        return basicConsume(queue, autoAck, consumerTag, false, false, null, callback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, String consumerTag, DeliverCallback deliverCallback,
                               CancelCallback cancelCallback) throws IOException {
        return basicConsume(queue, autoAck, consumerTag, false, false, null, deliverCallback, cancelCallback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, String consumerTag, DeliverCallback deliverCallback,
                               ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException {
        return basicConsume(queue, autoAck, consumerTag, false, false, null, deliverCallback,
                shutdownSignalCallback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, String consumerTag, DeliverCallback deliverCallback,
                               CancelCallback cancelCallback, ConsumerShutdownSignalCallback shutdownSignalCallback)
            throws IOException {
        return basicConsume(queue, autoAck, consumerTag, false, false, null, deliverCallback, cancelCallback,
                shutdownSignalCallback);
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, String consumerTag, boolean noLocal,
                               boolean exclusive, Map<String, Object> arguments, DeliverCallback deliverCallback,
                               CancelCallback cancelCallback) throws IOException {
        return basicConsume(queue, autoAck, consumerTag, noLocal, exclusive, arguments,
                callbackConsumer(deliverCallback, cancelCallback, null));
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, String consumerTag, boolean noLocal,
                               boolean exclusive, Map<String, Object> arguments, DeliverCallback deliverCallback,
                               ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException {
        return basicConsume(queue, autoAck, consumerTag, noLocal, exclusive, arguments,
                callbackConsumer(deliverCallback, null, shutdownSignalCallback));
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, String consumerTag, boolean noLocal,
                               boolean exclusive, Map<String, Object> arguments, DeliverCallback deliverCallback,
                               CancelCallback cancelCallback, ConsumerShutdownSignalCallback shutdownSignalCallback)
            throws IOException {
        return basicConsume(queue, autoAck, consumerTag, noLocal, exclusive, arguments,
                callbackConsumer(deliverCallback, cancelCallback, shutdownSignalCallback));
    }

    private Consumer callbackConsumer(DeliverCallback deliver, CancelCallback cancel,
                                      ConsumerShutdownSignalCallback shutdown) {
        return new Consumer() {
            @Override
            public void handleConsumeOk(String consumerTag) {
            }

            @Override
            public void handleCancelOk(String consumerTag) {
            }

            @Override
            public void handleCancel(String consumerTag) throws IOException {
                if (cancel != null) {
                    cancel.handle(consumerTag);
                }
            }

            @Override
            public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
                if (shutdown != null) {
                    shutdown.handleShutdownSignal(consumerTag, sig);
                }
            }

            @Override
            public void handleRecoverOk(String consumerTag) {
            }

            @Override
            public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                       byte[] body) throws IOException {
                deliver.handle(consumerTag, new Delivery(envelope, properties, body));
            }
        };
    }

    @Override
    public String basicConsume(String queue, boolean autoAck, String consumerTag, boolean noLocal,
                               boolean exclusive, Map<String, Object> arguments, Consumer callback)
            throws IOException {
        // The tag is chosen here when none is given, so the consumer is registered before the
        // broker can deliver to it.
        String tag = consumerTag == null || consumerTag.isEmpty()
                ? "amq.ctag-" + UUID.randomUUID().toString().replace("-", "") : consumerTag;
        ConsumerRecord rec = new ConsumerRecord(tag, callback);
        if (consumers.putIfAbsent(tag, rec) != null) {
            // The official client checks this before asking the broker, and so does Warren.
            throw new IllegalStateException("Consumer tag '" + tag + "' is already in use on channel " + number);
        }
        byte[] args = WireFormat.encodeTable(arguments);
        int f = (autoAck ? Native.NO_ACK : 0) | (exclusive ? Native.EXCLUSIVE : 0) | (noLocal ? Native.NO_LOCAL : 0);
        ensureDispatcher();
        long p;
        try {
            p = acquire();
        } catch (RuntimeException e) {
            consumers.remove(tag, rec);
            throw e;
        }
        try {
            Native.chConsume(p, queue, tag, f, args);
        } catch (NativeException e) {
            consumers.remove(tag, rec);
            throw fail(e);
        } finally {
            release();
        }
        connection.metrics().basicConsume(this, tag, autoAck);
        rec.consumeOk();
        return tag;
    }

    @Override
    public void basicCancel(String consumerTag) throws IOException {
        if (!consumers.containsKey(consumerTag)) {
            // As the official client: the channel knows its consumers; nothing is sent.
            throw new IOException("Unknown consumerTag");
        }
        long p = acquire();
        try {
            Native.chCancel(p, consumerTag);
        } catch (NativeException e) {
            throw fail(e);
        } finally {
            release();
        }
        connection.metrics().basicCancel(this, consumerTag);
    }

    private void ensureDispatcher() {
        synchronized (threadLock) {
            if (dispatcher == null) {
                Thread t = connection.newThread(this::runDispatcher, "warren-dispatch-" + number, false);
                dispatcher = t;
                t.start();
            }
        }
    }

    /** The dispatcher: pulls batches of deliveries while the channel has consumers. */
    private void runDispatcher() {
        Thread self = Thread.currentThread();
        try {
            while (true) {
                synchronized (threadLock) {
                    // Checked and cleared together with ensureDispatcher's check, so a consumer
                    // registered now either is seen here or starts a new dispatcher.
                    if (consumers.isEmpty()) {
                        dispatcher = null;
                        return;
                    }
                }
                runConsumerTasks();
                long p = handle.acquire();
                if (p == 0) {
                    endAllConsumers(closeReasonOrClient());
                    return;
                }
                byte[] batch;
                try {
                    batch = Native.chNextDeliveries(p, POLL_MS, 256, 1 << 20);
                } catch (NativeException e) {
                    endAllConsumers(Errors.shutdownSignal(e, false, this));
                    return;
                } finally {
                    handle.release();
                }
                if (batch != null) {
                    dispatchBatch(new WireFormat.Reader(batch));
                } else if (closeReason != null) {
                    endAllConsumers(closeReason);
                    return;
                }
            }
        } finally {
            threadEnded(self);
        }
    }

    private void dispatchBatch(WireFormat.Reader r) {
        // Stops when the channel closes mid-batch (e.g. the exception handler closed it after a
        // consumer threw): the rest of the batch is not delivered, as in the official client.
        while (r.hasRemaining() && closeReason == null) {
            int kind = r.u8();
            if (kind == 1) {
                String tag = r.string();
                long deliveryTag = r.u64();
                boolean redelivered = r.u8() != 0;
                String exchange = r.string();
                String routingKey = r.string();
                r.u32();
                AMQP.BasicProperties props = WireFormat.readProperties(r);
                byte[] body = r.longBytes();
                ConsumerRecord rec = consumers.get(tag);
                Consumer consumer = rec != null ? rec.consumer : defaultConsumer;
                if (consumer == null) {
                    continue;
                }
                if (rec != null) {
                    rec.consumeOk();
                }
                connection.metrics().consumedMessage(this, deliveryTag, tag);
                try {
                    consumer.handleDelivery(tag, new Envelope(deliveryTag, redelivered, exchange, routingKey), props,
                            body);
                } catch (Throwable t) {
                    connection.exceptionHandler().handleConsumerException(this, t, consumer, tag, "handleDelivery");
                }
            } else {
                String tag = r.string();
                int reason = r.u8();
                ShutdownSignalException sig = null;
                if (reason == 2 || reason == 3) {
                    NativeException e = NativeException.read(r);
                    sig = Errors.shutdownSignal(e, reason == 3, reason == 3 ? connection : this);
                }
                ConsumerRecord rec = consumers.remove(tag);
                if (rec == null) {
                    continue;
                }
                endConsumer(rec, reason, sig);
            }
        }
    }

    private void endConsumer(ConsumerRecord rec, int reason, ShutdownSignalException sig) {
        String method = reason == 0 ? "handleCancelOk" : reason == 1 ? "handleCancel" : "handleShutdownSignal";
        try {
            rec.consumeOk();
            if (reason == 0) {
                rec.consumer.handleCancelOk(rec.tag);
            } else if (reason == 1) {
                rec.consumer.handleCancel(rec.tag);
            } else {
                ShutdownSignalException s = closeReason != null ? closeReason : sig;
                rec.consumer.handleShutdownSignal(rec.tag, s);
            }
        } catch (Throwable t) {
            connection.exceptionHandler().handleConsumerException(this, t, rec.consumer, rec.tag, method);
        }
    }

    private void endAllConsumers(ShutdownSignalException sig) {
        for (ConsumerRecord rec : consumers.values()) {
            if (consumers.remove(rec.tag, rec)) {
                endConsumer(rec, 2, sig);
            }
        }
    }

    // ------------------------------------------------------------------- confirm and return listeners

    @Override
    public void addConfirmListener(ConfirmListener listener) {
        long p = acquire();
        try {
            Native.chSubscribeConfirms(p);
        } finally {
            release();
        }
        confirmListeners.add(listener);
        synchronized (threadLock) {
            if (confirmThread == null) {
                Thread t = connection.newThread(this::runConfirms, "warren-confirms-" + number, true);
                confirmThread = t;
                t.start();
            }
        }
    }

    @Override
    public ConfirmListener addConfirmListener(ConfirmCallback ackCallback, ConfirmCallback nackCallback) {
        ConfirmListener l = new ConfirmListener() {
            @Override
            public void handleAck(long deliveryTag, boolean multiple) throws IOException {
                ackCallback.handle(deliveryTag, multiple);
            }

            @Override
            public void handleNack(long deliveryTag, boolean multiple) throws IOException {
                nackCallback.handle(deliveryTag, multiple);
            }
        };
        addConfirmListener(l);
        return l;
    }

    @Override
    public boolean removeConfirmListener(ConfirmListener listener) {
        return confirmListeners.remove(listener);
    }

    @Override
    public void clearConfirmListeners() {
        confirmListeners.clear();
    }

    private void runConfirms() {
        Thread self = Thread.currentThread();
        try {
            while (closeReason == null) {
                long p = handle.acquire();
                if (p == 0) {
                    return;
                }
                long[] confirms;
                try {
                    confirms = Native.chNextConfirms(p, POLL_MS, 1024);
                } catch (NativeException e) {
                    return;
                } finally {
                    handle.release();
                }
                if (confirms == null) {
                    continue;
                }
                for (int i = 0; i + 1 < confirms.length; i += 2) {
                    long seq = confirms[i];
                    long f = confirms[i + 1];
                    boolean multiple = (f & 1) != 0;
                    boolean nack = (f & 6) != 0;
                    for (ConfirmListener l : confirmListeners) {
                        try {
                            if (nack) {
                                l.handleNack(seq, multiple);
                            } else {
                                l.handleAck(seq, multiple);
                            }
                        } catch (Throwable t) {
                            connection.exceptionHandler().handleConfirmListenerException(this, t);
                        }
                    }
                }
            }
        } finally {
            threadEnded(self);
        }
    }

    @Override
    public void addReturnListener(ReturnListener listener) {
        returnListeners.add(listener);
        synchronized (threadLock) {
            if (returnThread == null && closeReason == null) {
                Thread t = connection.newThread(this::runReturns, "warren-returns-" + number, true);
                returnThread = t;
                t.start();
            }
        }
    }

    @Override
    public ReturnListener addReturnListener(ReturnCallback returnCallback) {
        ReturnListener l = (replyCode, replyText, exchange, routingKey, properties, body) -> returnCallback.handle(
                new Return(replyCode, replyText, exchange, routingKey, properties, body));
        addReturnListener(l);
        return l;
    }

    @Override
    public boolean removeReturnListener(ReturnListener listener) {
        return returnListeners.remove(listener);
    }

    @Override
    public void clearReturnListeners() {
        returnListeners.clear();
    }

    private void runReturns() {
        Thread self = Thread.currentThread();
        try {
            while (closeReason == null) {
                long p = handle.acquire();
                if (p == 0) {
                    return;
                }
                byte[] ret;
                try {
                    ret = Native.chNextReturn(p, POLL_MS);
                } catch (NativeException e) {
                    return;
                } finally {
                    handle.release();
                }
                if (ret == null) {
                    continue;
                }
                WireFormat.Reader r = new WireFormat.Reader(ret);
                int code = r.u16();
                String text = r.string();
                String exchange = r.string();
                String routingKey = r.string();
                AMQP.BasicProperties props = WireFormat.readProperties(r);
                byte[] body = r.longBytes();
                for (ReturnListener l : returnListeners) {
                    try {
                        l.handleReturn(code, text, exchange, routingKey, props, body);
                    } catch (Throwable t) {
                        connection.exceptionHandler().handleReturnListenerException(this, t);
                    }
                }
            }
        } finally {
            threadEnded(self);
        }
    }

    @Override
    public String toString() {
        return "AMQChannel(" + connection + "," + number + ")";
    }
}
