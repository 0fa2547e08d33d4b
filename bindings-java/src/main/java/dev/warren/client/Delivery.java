package dev.warren.client;

/** A message handed to a {@link DeliverCallback}: envelope, properties and body. */
public class Delivery {
    private final Envelope envelope;
    private final AMQP.BasicProperties properties;
    private final byte[] body;

    /**
     * @param envelope where the message came from
     * @param properties its properties
     * @param body its body
     */
    public Delivery(Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        this.envelope = envelope;
        this.properties = properties;
        this.body = body;
    }

    /** @return the envelope (delivery tag, exchange, routing key) */
    public Envelope getEnvelope() {
        return envelope;
    }

    /** @return the message's properties (never null; unset ones are null) */
    public AMQP.BasicProperties getProperties() {
        return properties;
    }

    /** @return the body */
    public byte[] getBody() {
        return body;
    }
}
