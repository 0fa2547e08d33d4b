package dev.warren.client;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Serves requests from a queue: {@link #mainloop()} takes each request, calls
 * {@link #handleCall(Delivery, AMQP.BasicProperties)} (or {@code handleCast} when no reply is
 * wanted), publishes the reply to the request's reply-to with its correlation id, and
 * acknowledges the request. Override the {@code handleCall} variant you need.
 */
public class RpcServer {
    private final Channel channel;
    private final String queueName;
    private volatile boolean mainloopRunning = true;
    private final BlockingQueue<Delivery> requests = new LinkedBlockingQueue<>();
    private String consumerTag;

    /**
     * Serves a new server-named queue.
     *
     * @param channel the channel to consume and reply on
     * @throws IOException if the queue could not be declared
     */
    public RpcServer(Channel channel) throws IOException {
        this(channel, null);
    }

    /**
     * @param channel the channel to consume and reply on
     * @param queueName the queue to serve (null: a new server-named queue)
     * @throws IOException if the queue could not be declared
     */
    public RpcServer(Channel channel, String queueName) throws IOException {
        this.channel = channel;
        this.queueName = queueName == null ? channel.queueDeclare().getQueue() : queueName;
    }

    /**
     * Stops serving (cancels the consumer); idempotent.
     *
     * @throws IOException if the cancel failed
     */
    public void close() throws IOException {
        terminateMainloop();
        String tag = consumerTag;
        consumerTag = null;
        if (tag != null && channel.isOpen()) {
            channel.basicCancel(tag);
        }
    }

    /**
     * Serves requests until {@link #terminateMainloop()}.
     *
     * @return null (the official client returns the shutdown signal that ended the loop, if any)
     * @throws IOException if consuming or replying failed
     */
    public ShutdownSignalException mainloop() throws IOException {
        if (consumerTag == null) {
            consumerTag = channel.basicConsume(queueName, false, (tag, d) -> requests.add(d), tag -> {
                mainloopRunning = false;
            });
        }
        try {
            while (mainloopRunning) {
                Delivery request = requests.poll(100, TimeUnit.MILLISECONDS);
                if (request != null) {
                    processRequest(request);
                    channel.basicAck(request.getEnvelope().getDeliveryTag(), false);
                }
                if (!channel.isOpen()) {
                    return channel.getCloseReason();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    /** Makes {@link #mainloop()} return after the request in hand. */
    public void terminateMainloop() {
        mainloopRunning = false;
    }

    /**
     * Handles one request: replies if it has a reply-to and a correlation id, else casts.
     *
     * @param request the request
     * @throws IOException if replying failed
     */
    public void processRequest(Delivery request) throws IOException {
        AMQP.BasicProperties requestProperties = request.getProperties();
        String correlationId = requestProperties.getCorrelationId();
        String replyTo = requestProperties.getReplyTo();
        if (correlationId != null && replyTo != null) {
            AMQP.BasicProperties.Builder replyPropertiesBuilder =
                    new AMQP.BasicProperties.Builder().correlationId(correlationId);
            AMQP.BasicProperties replyProperties = replyPropertiesBuilder.build();
            byte[] replyBody = handleCall(request, replyProperties);
            channel.basicPublish("", replyTo, replyProperties, replyBody);
        } else {
            handleCast(request);
        }
    }

    /**
     * @param request the request
     * @param replyProperties the reply's properties (with the correlation id)
     * @return the reply's body
     */
    public byte[] handleCall(Delivery request, AMQP.BasicProperties replyProperties) {
        return handleCall(request.getProperties(), request.getBody(), replyProperties);
    }

    /**
     * @param requestProperties the request's properties
     * @param requestBody the request's body
     * @param replyProperties the reply's properties
     * @return the reply's body
     */
    public byte[] handleCall(AMQP.BasicProperties requestProperties, byte[] requestBody,
                             AMQP.BasicProperties replyProperties) {
        return handleCall(requestBody, replyProperties);
    }

    /**
     * Override this (or another handleCall) to serve calls; the default replies with nothing.
     *
     * @param requestBody the request's body
     * @param replyProperties the reply's properties
     * @return the reply's body
     */
    public byte[] handleCall(byte[] requestBody, AMQP.BasicProperties replyProperties) {
        return new byte[0];
    }

    /** @param request a request that wants no reply */
    public void handleCast(Delivery request) {
        handleCast(request.getProperties(), request.getBody());
    }

    /**
     * @param requestProperties the request's properties
     * @param requestBody the request's body
     */
    public void handleCast(AMQP.BasicProperties requestProperties, byte[] requestBody) {
        handleCast(requestBody);
    }

    /** @param requestBody a request that wants no reply; the default ignores it */
    public void handleCast(byte[] requestBody) {
    }

    /** @return the channel */
    public Channel getChannel() {
        return channel;
    }

    /** @return the queue served */
    public String getQueueName() {
        return queueName;
    }
}
