package dev.warren.client;

/** A message fetched with {@link Channel#basicGet(String, boolean)}. */
public class GetResponse {
    private final Envelope envelope;
    private final AMQP.BasicProperties props;
    private final byte[] body;
    private final int messageCount;

    /**
     * @param envelope where the message came from
     * @param props its properties
     * @param body its body
     * @param messageCount messages left in the queue
     */
    public GetResponse(Envelope envelope, AMQP.BasicProperties props, byte[] body, int messageCount) {
        this.envelope = envelope;
        this.props = props;
        this.body = body;
        this.messageCount = messageCount;
    }

    /** @return the envelope */
    public Envelope getEnvelope() {
        return envelope;
    }

    /** @return the properties */
    public AMQP.BasicProperties getProps() {
        return props;
    }

    /** @return the body */
    public byte[] getBody() {
        return body;
    }

    /** @return how many messages were left in the queue */
    public int getMessageCount() {
        return messageCount;
    }

    @Override
    public String toString() {
        return "GetResponse(envelope=" + envelope + ", props=" + props + ", messageCount=" + messageCount
                + ", body=(elided, " + body.length + " bytes long))";
    }
}
