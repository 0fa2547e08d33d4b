package dev.warren.client;

/** A mandatory message the broker could not route ({@code basic.return}). */
public class Return {
    private final int replyCode;
    private final String replyText;
    private final String exchange;
    private final String routingKey;
    private final AMQP.BasicProperties properties;
    private final byte[] body;

    /**
     * @param replyCode why (usually 312 NO_ROUTE)
     * @param replyText the broker's explanation
     * @param exchange the exchange it was published to
     * @param routingKey its routing key
     * @param properties its properties
     * @param body its body
     */
    public Return(int replyCode, String replyText, String exchange, String routingKey,
                  AMQP.BasicProperties properties, byte[] body) {
        this.replyCode = replyCode;
        this.replyText = replyText;
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.properties = properties;
        this.body = body;
    }

    /** @return the reply code */
    public int getReplyCode() {
        return replyCode;
    }

    /** @return the reply text */
    public String getReplyText() {
        return replyText;
    }

    /** @return the exchange */
    public String getExchange() {
        return exchange;
    }

    /** @return the routing key */
    public String getRoutingKey() {
        return routingKey;
    }

    /** @return the properties */
    public AMQP.BasicProperties getProperties() {
        return properties;
    }

    /** @return the body */
    public byte[] getBody() {
        return body;
    }
}
