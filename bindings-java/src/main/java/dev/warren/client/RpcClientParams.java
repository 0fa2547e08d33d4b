package dev.warren.client;

import java.util.function.Function;
import java.util.function.Supplier;

/** The settings of an {@link RpcClient}. */
public class RpcClientParams {
    private Channel channel;
    private String exchange = "";
    private String routingKey;
    private int timeout = RpcClient.NO_TIMEOUT;
    /** Where replies go; Warren's RPC client always uses direct reply-to. */
    private String replyTo = "amq.rabbitmq.reply-to";
    /** Kept for its getter: Warren publishes requests mandatory always (see RpcClient). */
    private boolean useMandatory;
    /** Kept for its getter: Warren's core makes the correlation ids. */
    private Supplier<String> correlationIdSupplier;
    /** Kept for its getter: replies are always {@link RpcClient.Response}s. */
    private Function<Object, RpcClient.Response> replyHandler;

    /** Settings with the defaults (default exchange, no timeout). */
    public RpcClientParams() {
    }

    /** @return the channel */
    public Channel getChannel() {
        return channel;
    }

    /**
     * @param channel a channel of the connection to use
     * @return these settings
     */
    public RpcClientParams channel(Channel channel) {
        this.channel = channel;
        return this;
    }

    /** @return the exchange */
    public String getExchange() {
        return exchange;
    }

    /**
     * @param exchange where requests go
     * @return these settings
     */
    public RpcClientParams exchange(String exchange) {
        this.exchange = exchange;
        return this;
    }

    /** @return the routing key */
    public String getRoutingKey() {
        return routingKey;
    }

    /**
     * @param routingKey the requests' routing key
     * @return these settings
     */
    public RpcClientParams routingKey(String routingKey) {
        this.routingKey = routingKey;
        return this;
    }

    /** @return the timeout, milliseconds */
    public int getTimeout() {
        return timeout;
    }

    /**
     * @param timeout milliseconds to wait for a reply
     * @return these settings
     */
    public RpcClientParams timeout(int timeout) {
        this.timeout = timeout;
        return this;
    }

    /** @return where replies go ({@code amq.rabbitmq.reply-to}) */
    public String getReplyTo() {
        return replyTo;
    }

    /**
     * Only direct reply-to ({@code amq.rabbitmq.reply-to}, the default) is supported: Warren's
     * RPC client is the core's, which consumes replies on a channel of its own.
     *
     * @param replyTo the reply queue
     * @return these settings
     * @throws UnsupportedOperationException for another queue
     */
    public RpcClientParams replyTo(String replyTo) {
        if (!"amq.rabbitmq.reply-to".equals(replyTo)) {
            throw new UnsupportedOperationException("Warren's RpcClient uses direct reply-to (amq.rabbitmq.reply-to) "
                    + "only, not " + replyTo);
        }
        this.replyTo = replyTo;
        return this;
    }

    /**
     * Publishes requests with the mandatory flag, so an unroutable request fails with
     * {@link UnroutableRpcRequestException} (Warren always does this).
     *
     * @return these settings
     */
    public RpcClientParams useMandatory() {
        return useMandatory(true);
    }

    /**
     * @param useMandatory kept for {@link #shouldUseMandatory()}; Warren publishes requests
     *        mandatory either way, so an unroutable request fails at once rather than timing out
     * @return these settings
     */
    public RpcClientParams useMandatory(boolean useMandatory) {
        this.useMandatory = useMandatory;
        return this;
    }

    /** @return the value set with {@link #useMandatory(boolean)} */
    public boolean shouldUseMandatory() {
        return useMandatory;
    }

    /**
     * @param correlationIdSupplier kept for its getter: Warren's core makes unique correlation ids
     * @return these settings
     */
    public RpcClientParams correlationIdSupplier(Supplier<String> correlationIdSupplier) {
        this.correlationIdSupplier = correlationIdSupplier;
        return this;
    }

    /** @return the supplier set, or null */
    public Supplier<String> getCorrelationIdSupplier() {
        return correlationIdSupplier;
    }

    /**
     * @param replyHandler kept for its getter: replies are always {@link RpcClient.Response}s
     * @return these settings
     */
    public RpcClientParams replyHandler(Function<Object, RpcClient.Response> replyHandler) {
        this.replyHandler = replyHandler;
        return this;
    }

    /** @return the handler set, or null */
    public Function<Object, RpcClient.Response> getReplyHandler() {
        return replyHandler;
    }
}
