package dev.warren.client.impl;

/**
 * The native methods of {@code libwarren_java.so} (implemented in
 * {@code bindings-java/src/natives.rs}). Handles are {@code long}s owned by
 * {@link NativeHandle}s; every method may throw {@link NativeException}.
 */
public final class Native {
    static {
        NativeLibrary.load();
    }

    private Native() {
    }

    /** Makes sure the library is loaded. */
    public static void init() {
        // The static initializer does the work.
    }

    static native long connect(String[] hosts, long[] ports, int tls, String username, String password,
                               String vhost, long[] settings, String connectionName, byte[] clientProperties);

    static native void connFree(long conn);

    static native void connClose(long conn, int code, String text);

    static native boolean connIsOpen(long conn);

    static native byte[] connCloseReason(long conn);

    static native byte[] connServerProperties(long conn);

    static native long[] connTuning(long conn);

    static native String connHost(long conn);

    static native byte[] connNextEvent(long conn, long timeoutMs);

    static native long connOpenChannel(long conn);

    static native long rpcOpen(long conn);

    static native void rpcFree(long rpc);

    static native byte[] rpcCall(long rpc, String exchange, String routingKey, byte[] properties, byte[] body,
                                 long timeoutMs);

    static native void chFree(long ch);

    static native int chNumber(long ch);

    static native boolean chIsOpen(long ch);

    static native byte[] chCloseReason(long ch);

    static native void chClose(long ch, int code, String text);

    static native void chExchangeDeclare(long ch, String name, String type, int flags, byte[] arguments);

    static native void chExchangeDelete(long ch, String name, boolean ifUnused, boolean nowait);

    static native void chExchangeBind(long ch, String destination, String source, String routingKey,
                                      byte[] arguments, boolean unbind, boolean nowait);

    static native byte[] chQueueDeclare(long ch, String name, int flags, byte[] arguments);

    static native void chQueueBind(long ch, String queue, String exchange, String routingKey, byte[] arguments,
                                   boolean unbind, boolean nowait);

    static native long chQueuePurge(long ch, String queue);

    static native long chQueueDelete(long ch, String queue, boolean ifUnused, boolean ifEmpty, boolean nowait);

    static native void chBasicQos(long ch, int prefetchCount, boolean global);

    static native void chPublish(long ch, String exchange, String routingKey, int flags, byte[] properties,
                                 byte[] body);

    static native String chConsume(long ch, String queue, String tag, int flags, byte[] arguments);

    static native byte[] chNextDeliveries(long ch, long timeoutMs, int maxItems, int maxBytes);

    static native void chCancel(long ch, String tag);

    static native byte[] chGet(long ch, String queue, boolean noAck);

    static native void chSettle(long ch, int op, long deliveryTag, boolean multiple, boolean requeue);

    static native void chRecover(long ch, boolean requeue);

    static native void chMode(long ch, int op);

    static native long chNextPublishSeqNo(long ch);

    static native boolean chWaitForConfirms(long ch, long timeoutMs);

    static native void chSubscribeConfirms(long ch);

    static native long[] chNextConfirms(long ch, long timeoutMs, int maxItems);

    static native byte[] chNextReturn(long ch, long timeoutMs);

    /** Panics inside native code, for the test of the panic boundary. */
    public static native void panicForTest();

    /**
     * Throws the native error of one kind, for the tests of {@link Errors}.
     *
     * @param which the sample (see {@code sample_error} in natives.rs)
     */
    public static native void errorForTest(int which);

    /** Flags of declare, consume and publish, as natives.rs reads them. */
    static final int PASSIVE = 1;
    static final int DURABLE = 2;
    static final int AUTO_DELETE = 4;
    static final int INTERNAL = 8;
    static final int EXCLUSIVE = 16;
    static final int NOWAIT = 32;
    static final int NO_ACK = 64;
    static final int NO_LOCAL = 128;
    static final int MANDATORY = 256;
    static final int IMMEDIATE = 512;
}
