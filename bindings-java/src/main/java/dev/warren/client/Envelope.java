package dev.warren.client;

/** Where a delivered message came from, and the tag to acknowledge it with. */
public class Envelope {
    private final long deliveryTag;
    private final boolean redeliver;
    private final String exchange;
    private final String routingKey;

    /**
     * @param deliveryTag the tag for {@link Channel#basicAck(long, boolean)} and friends
     * @param redeliver whether the message was delivered before and not acknowledged
     * @param exchange the exchange it was published to
     * @param routingKey the routing key it was published with
     */
    public Envelope(long deliveryTag, boolean redeliver, String exchange, String routingKey) {
        this.deliveryTag = deliveryTag;
        this.redeliver = redeliver;
        this.exchange = exchange;
        this.routingKey = routingKey;
    }

    /** @return the delivery tag, unique per channel */
    public long getDeliveryTag() {
        return deliveryTag;
    }

    /** @return whether the message is redelivered */
    public boolean isRedeliver() {
        return redeliver;
    }

    /** @return the exchange the message was published to */
    public String getExchange() {
        return exchange;
    }

    /** @return the routing key the message was published with */
    public String getRoutingKey() {
        return routingKey;
    }

    @Override
    public String toString() {
        return "Envelope(deliveryTag=" + deliveryTag + ", redeliver=" + redeliver
                + ", exchange=" + exchange + ", routingKey=" + routingKey + ")";
    }
}
