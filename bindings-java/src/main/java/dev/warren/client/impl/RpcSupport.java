package dev.warren.client.impl;

import dev.warren.client.AMQP;
import dev.warren.client.Connection;
import dev.warren.client.Envelope;
import dev.warren.client.RpcClient;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/** The core's RPC client (direct reply-to) behind {@link RpcClient}. */
public final class RpcSupport {
    private final NativeHandle handle;
    private final Object ref;

    private RpcSupport(NativeHandle handle, Object ref) {
        this.handle = handle;
        this.ref = ref;
        handle.registerCleaner(this, null);
    }

    /**
     * @param connection a Warren connection
     * @return an RPC client on a channel of its own
     * @throws IOException if it could not start
     */
    public static RpcSupport open(Connection connection) throws IOException {
        if (!(connection instanceof WarrenConnection)) {
            throw new IllegalArgumentException("not a Warren connection: " + connection);
        }
        return new RpcSupport(((WarrenConnection) connection).openRpc(), connection);
    }

    /**
     * @param exchange where the request goes
     * @param routingKey its routing key
     * @param props its properties, or null
     * @param body its body
     * @param timeoutMs milliseconds to wait (negative: no limit)
     * @return the reply
     * @throws IOException if the call failed
     * @throws TimeoutException if no reply came in time
     */
    public RpcClient.Response call(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body,
                                   long timeoutMs) throws IOException, TimeoutException {
        long p = handle.acquire();
        if (p == 0) {
            throw new dev.warren.client.AlreadyClosedException(Errors.clientClose(false, ref));
        }
        byte[] reply;
        try {
            reply = Native.rpcCall(p, exchange, routingKey, WireFormat.encodeProperties(props), body, timeoutMs);
        } catch (NativeException e) {
            Exception t = Errors.ioOrTimeout(e, ref);
            if (t instanceof TimeoutException) {
                throw (TimeoutException) t;
            }
            throw (IOException) t;
        } finally {
            handle.release();
        }
        WireFormat.Reader r = new WireFormat.Reader(reply);
        String tag = r.string();
        long deliveryTag = r.u64();
        boolean redelivered = r.u8() != 0;
        String ex = r.string();
        String rk = r.string();
        r.u32();
        AMQP.BasicProperties replyProps = WireFormat.readProperties(r);
        byte[] replyBody = r.longBytes();
        return new RpcClient.Response(tag, new Envelope(deliveryTag, redelivered, ex, rk), replyProps, replyBody);
    }

    /** Frees the RPC client; idempotent. */
    public void close() {
        handle.close();
    }
}
