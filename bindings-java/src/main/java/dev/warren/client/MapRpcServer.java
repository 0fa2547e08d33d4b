package dev.warren.client;

import dev.warren.client.impl.WireFormat;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * An {@link RpcServer} whose requests and replies are AMQP field tables (as {@link RpcClient#mapCall}
 * sends them).
 */
public class MapRpcServer extends RpcServer {
    /**
     * Serves a new exclusive, auto-delete queue named by the broker.
     *
     * @param channel the channel
     * @throws IOException if the queue cannot be declared
     */
    public MapRpcServer(Channel channel) throws IOException {
        super(channel);
    }

    /**
     * @param channel the channel
     * @param queueName the queue to serve
     * @throws IOException if the queue cannot be declared
     */
    public MapRpcServer(Channel channel, String queueName) throws IOException {
        super(channel, queueName);
    }

    /** Decodes the request, calls {@link #handleMapCall(Map, AMQP.BasicProperties)}, encodes the reply. */
    @Override
    public byte[] handleCall(byte[] requestBody, AMQP.BasicProperties replyProperties) {
        try {
            return encode(handleMapCall(decode(requestBody), replyProperties));
        } catch (IOException e) {
            throw new IllegalArgumentException("the request is not an AMQP field table", e);
        }
    }

    /**
     * @param requestBody an encoded field table
     * @return the table
     * @throws IOException if the bytes are not a field table
     */
    public static Map<String, Object> decode(byte[] requestBody) throws IOException {
        try {
            return WireFormat.decodeTable(requestBody);
        } catch (RuntimeException e) {
            throw new IOException("malformed field table: " + e.getMessage(), e);
        }
    }

    /**
     * @param body a table
     * @return its encoding (a 32-bit length, then the entries)
     * @throws IOException if a value has no AMQP type
     */
    public static byte[] encode(Map<String, Object> body) throws IOException {
        try {
            byte[] bytes = WireFormat.encodeTable(body);
            return bytes == null ? new byte[4] : bytes;
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * @param request the request
     * @param replyProperties the reply's properties (may be changed)
     * @return the reply; by default {@link #handleMapCall(Map)}'s
     */
    public Map<String, Object> handleMapCall(Map<String, Object> request, AMQP.BasicProperties replyProperties) {
        return handleMapCall(request);
    }

    /**
     * @param request the request
     * @return the reply; by default an empty table
     */
    public Map<String, Object> handleMapCall(Map<String, Object> request) {
        return new HashMap<>();
    }

    /** Decodes the message and calls {@link #handleMapCast(Map)}. */
    @Override
    public void handleCast(byte[] requestBody) {
        try {
            handleMapCast(decode(requestBody));
        } catch (IOException e) {
            throw new IllegalArgumentException("the message is not an AMQP field table", e);
        }
    }

    /** @param requestBody a message that needs no reply; by default ignored */
    public void handleMapCast(Map<String, Object> requestBody) {
    }
}
