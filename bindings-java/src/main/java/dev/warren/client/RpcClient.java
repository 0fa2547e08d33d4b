package dev.warren.client;

import dev.warren.client.impl.RpcSupport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Calls a server over AMQP and waits for its reply, using RabbitMQ's direct reply-to
 * ({@code amq.rabbitmq.reply-to}). Warren runs the calls on a channel of its own (opened on
 * the given channel's connection) through its core's RPC client, which matches replies by
 * correlation id; the given channel stays free for other work. Thread-safe.
 */
public class RpcClient implements AutoCloseable {
    /** No timeout. */
    protected static final int NO_TIMEOUT = -1;

    private final Channel channel;
    private final String exchange;
    private final String routingKey;
    private final int timeout;
    private final RpcSupport rpc;

    /** A reply: its envelope, properties and body. */
    public static class Response {
        private final String consumerTag;
        private final Envelope envelope;
        private final AMQP.BasicProperties properties;
        private final byte[] body;

        /** An empty response (all fields null). */
        public Response() {
            this(null, null, null, null);
        }

        /**
         * @param consumerTag the reply consumer's tag
         * @param envelope the reply's envelope
         * @param properties the reply's properties
         * @param body the reply's body
         */
        public Response(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            this.consumerTag = consumerTag;
            this.envelope = envelope;
            this.properties = properties;
            this.body = body;
        }

        /** @return the reply consumer's tag */
        public String getConsumerTag() {
            return consumerTag;
        }

        /** @return the reply's envelope */
        public Envelope getEnvelope() {
            return envelope;
        }

        /** @return the reply's properties */
        public AMQP.BasicProperties getProperties() {
            return properties;
        }

        /** @return the reply's body */
        public byte[] getBody() {
            return body;
        }
    }

    /**
     * @param params channel, exchange, routing key and timeout
     * @throws IOException if the RPC channel could not be opened
     */
    public RpcClient(RpcClientParams params) throws IOException {
        this(params.getChannel(), params.getExchange(), params.getRoutingKey(), params.getTimeout());
    }

    /**
     * @param channel a channel of the connection to use
     * @param exchange where requests are published
     * @param routingKey their routing key
     * @param replyTo ignored: replies come through direct reply-to
     * @param timeout milliseconds to wait for a reply, or {@link #NO_TIMEOUT}
     * @throws IOException if the RPC channel could not be opened
     */
    public RpcClient(Channel channel, String exchange, String routingKey, String replyTo, int timeout)
            throws IOException {
        this(channel, exchange, routingKey, timeout);
    }

    /**
     * @param channel a channel of the connection to use
     * @param exchange where requests are published
     * @param routingKey their routing key
     * @param replyTo ignored: replies come through direct reply-to
     * @throws IOException if the RPC channel could not be opened
     */
    public RpcClient(Channel channel, String exchange, String routingKey, String replyTo) throws IOException {
        this(channel, exchange, routingKey, NO_TIMEOUT);
    }

    /**
     * @param channel a channel of the connection to use
     * @param exchange where requests are published
     * @param routingKey their routing key
     * @throws IOException if the RPC channel could not be opened
     */
    public RpcClient(Channel channel, String exchange, String routingKey) throws IOException {
        this(channel, exchange, routingKey, NO_TIMEOUT);
    }

    /**
     * @param channel a channel of the connection to use
     * @param exchange where requests are published
     * @param routingKey their routing key
     * @param timeout milliseconds to wait for a reply, or {@link #NO_TIMEOUT}
     * @throws IOException if the RPC channel could not be opened
     */
    public RpcClient(Channel channel, String exchange, String routingKey, int timeout) throws IOException {
        this.channel = channel;
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.timeout = timeout;
        this.rpc = RpcSupport.open(channel.getConnection());
    }

    /**
     * Stops the client; idempotent.
     *
     * @throws IOException declared for compatibility
     */
    @Override
    public void close() throws IOException {
        rpc.close();
    }

    /**
     * Publishes a request without waiting for a reply.
     *
     * @param props its properties
     * @param message its body
     * @throws IOException if publishing failed
     */
    public void publish(AMQP.BasicProperties props, byte[] message) throws IOException {
        channel.basicPublish(exchange, routingKey, props, message);
    }

    /**
     * @param props the request's properties (correlation id and reply-to are set by the client)
     * @param message the request's body
     * @return the reply
     * @throws IOException if the call failed
     * @throws TimeoutException if no reply came in time
     */
    public Response doCall(AMQP.BasicProperties props, byte[] message) throws IOException, TimeoutException {
        return doCall(props, message, timeout);
    }

    /**
     * @param props the request's properties
     * @param message the request's body
     * @param timeout milliseconds to wait, or {@link #NO_TIMEOUT}
     * @return the reply
     * @throws IOException if the call failed
     * @throws ShutdownSignalException if the connection shut down
     * @throws TimeoutException if no reply came in time
     */
    public Response doCall(AMQP.BasicProperties props, byte[] message, int timeout)
            throws IOException, ShutdownSignalException, TimeoutException {
        return rpc.call(exchange, routingKey, props, message, timeout);
    }

    /**
     * @param props the request's properties
     * @param message the request's body
     * @return the reply's body
     * @throws IOException if the call failed
     * @throws ShutdownSignalException if the connection shut down
     * @throws TimeoutException if no reply came in time
     */
    public byte[] primitiveCall(AMQP.BasicProperties props, byte[] message)
            throws IOException, ShutdownSignalException, TimeoutException {
        return doCall(props, message).getBody();
    }

    /**
     * @param props the request's properties
     * @param message the request's body
     * @param timeout milliseconds to wait
     * @return the reply's body
     * @throws IOException if the call failed
     * @throws ShutdownSignalException if the connection shut down
     * @throws TimeoutException if no reply came in time
     */
    public byte[] primitiveCall(AMQP.BasicProperties props, byte[] message, int timeout)
            throws IOException, ShutdownSignalException, TimeoutException {
        return doCall(props, message, timeout).getBody();
    }

    /**
     * @param message the request's body
     * @return the reply's body
     * @throws IOException if the call failed
     * @throws ShutdownSignalException if the connection shut down
     * @throws TimeoutException if no reply came in time
     */
    public byte[] primitiveCall(byte[] message) throws IOException, ShutdownSignalException, TimeoutException {
        return primitiveCall(null, message);
    }

    /**
     * @param message the request's body
     * @return the reply
     * @throws IOException if the call failed
     * @throws ShutdownSignalException if the connection shut down
     * @throws TimeoutException if no reply came in time
     */
    public Response responseCall(byte[] message) throws IOException, ShutdownSignalException, TimeoutException {
        return doCall(null, message);
    }

    /**
     * @param message the request's body
     * @param timeout milliseconds to wait
     * @return the reply
     * @throws IOException if the call failed
     * @throws ShutdownSignalException if the connection shut down
     * @throws TimeoutException if no reply came in time
     */
    public Response responseCall(byte[] message, int timeout)
            throws IOException, ShutdownSignalException, TimeoutException {
        return doCall(null, message, timeout);
    }

    /**
     * @param message the request, sent as UTF-8
     * @return the reply, read as UTF-8
     * @throws IOException if the call failed
     * @throws ShutdownSignalException if the connection shut down
     * @throws TimeoutException if no reply came in time
     */
    public String stringCall(String message) throws IOException, ShutdownSignalException, TimeoutException {
        return new String(primitiveCall(message.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /**
     * Correlation ids "0", "1", "2", ... (for {@link RpcClientParams#correlationIdSupplier}).
     *
     * @return a new supplier
     */
    public static Supplier<String> incrementingCorrelationIdSupplier() {
        return incrementingCorrelationIdSupplier("");
    }

    /**
     * @param prefix put before each number
     * @return a supplier of prefix + "0", prefix + "1", ...
     */
    public static Supplier<String> incrementingCorrelationIdSupplier(String prefix) {
        AtomicLong next = new AtomicLong();
        return () -> prefix + next.getAndIncrement();
    }

    /**
     * Sends a field table and waits for a field table (as {@link MapRpcServer} answers).
     *
     * @param message the request
     * @return the reply
     * @throws IOException if the call failed or the reply is not a table
     * @throws ShutdownSignalException if the connection shut down
     * @throws TimeoutException if no reply came in time
     */
    public Map<String, Object> mapCall(Map<String, Object> message)
            throws IOException, ShutdownSignalException, TimeoutException {
        return MapRpcServer.decode(primitiveCall(MapRpcServer.encode(message)));
    }

    /**
     * @param keyValuePairs keys and values, alternating
     * @return the reply
     * @throws IOException if the call failed or the reply is not a table
     * @throws ShutdownSignalException if the connection shut down
     * @throws TimeoutException if no reply came in time
     */
    public Map<String, Object> mapCall(Object[] keyValuePairs)
            throws IOException, ShutdownSignalException, TimeoutException {
        Map<String, Object> message = new HashMap<>();
        for (int i = 0; i + 1 < keyValuePairs.length; i += 2) {
            message.put((String) keyValuePairs[i], keyValuePairs[i + 1]);
        }
        return mapCall(message);
    }

    /** @return the channel given to the constructor */
    public Channel getChannel() {
        return channel;
    }

    /** @return the exchange requests go to */
    public String getExchange() {
        return exchange;
    }

    /** @return the routing key of requests */
    public String getRoutingKey() {
        return routingKey;
    }
}
