package dev.warren.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** An {@link RpcServer} whose requests and replies are UTF-8 strings. */
public class StringRpcServer extends RpcServer {
    /** The encoding of requests and replies. */
    public static final String STRING_ENCODING = "UTF-8";

    /**
     * Serves a new exclusive, auto-delete queue named by the broker.
     *
     * @param channel the channel
     * @throws IOException if the queue cannot be declared
     */
    public StringRpcServer(Channel channel) throws IOException {
        super(channel);
    }

    /**
     * @param channel the channel
     * @param queueName the queue to serve
     * @throws IOException if the queue cannot be declared
     */
    public StringRpcServer(Channel channel, String queueName) throws IOException {
        super(channel, queueName);
    }

    /** Decodes the request, calls {@link #handleStringCall(String, AMQP.BasicProperties)}, encodes the reply. */
    @Override
    public byte[] handleCall(byte[] requestBody, AMQP.BasicProperties replyProperties) {
        String reply = handleStringCall(new String(requestBody, StandardCharsets.UTF_8), replyProperties);
        return reply == null ? new byte[0] : reply.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param request the request
     * @param replyProperties the reply's properties (may be changed)
     * @return the reply; by default {@link #handleStringCall(String)}'s
     */
    public String handleStringCall(String request, AMQP.BasicProperties replyProperties) {
        return handleStringCall(request);
    }

    /**
     * @param request the request
     * @return the reply; by default the empty string
     */
    public String handleStringCall(String request) {
        return "";
    }

    /** Decodes the message and calls {@link #handleStringCast(String)}. */
    @Override
    public void handleCast(byte[] requestBody) {
        handleStringCast(new String(requestBody, StandardCharsets.UTF_8));
    }

    /** @param requestBody a message that needs no reply; by default ignored */
    public void handleStringCast(String requestBody) {
    }
}
