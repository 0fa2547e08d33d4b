package dev.warren.client;

/** The settings of an {@link RpcClient}. */
public class RpcClientParams {
    private Channel channel;
    private String exchange = "";
    private String routingKey;
    private int timeout = RpcClient.NO_TIMEOUT;

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
}
