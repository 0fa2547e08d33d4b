package dev.warren.client;

/** Ready-made properties for common cases, as in the official client. */
public class MessageProperties {
    /** Nothing set. */
    public static final AMQP.BasicProperties MINIMAL_BASIC = new AMQP.BasicProperties();

    /** Persistent (delivery mode 2), nothing else. */
    public static final AMQP.BasicProperties MINIMAL_PERSISTENT_BASIC =
            new AMQP.BasicProperties.Builder().deliveryMode(2).build();

    /** {@code application/octet-stream}, transient, priority 0. */
    public static final AMQP.BasicProperties BASIC = new AMQP.BasicProperties(
            "application/octet-stream", null, null, 1, 0, null, null, null, null, null, null, null, null, null);

    /** {@code application/octet-stream}, persistent, priority 0. */
    public static final AMQP.BasicProperties PERSISTENT_BASIC = new AMQP.BasicProperties(
            "application/octet-stream", null, null, 2, 0, null, null, null, null, null, null, null, null, null);

    /** {@code text/plain}, transient, priority 0. */
    public static final AMQP.BasicProperties TEXT_PLAIN = new AMQP.BasicProperties(
            "text/plain", null, null, 1, 0, null, null, null, null, null, null, null, null, null);

    /** {@code text/plain}, persistent, priority 0. */
    public static final AMQP.BasicProperties PERSISTENT_TEXT_PLAIN = new AMQP.BasicProperties(
            "text/plain", null, null, 2, 0, null, null, null, null, null, null, null, null, null);

    /** Holds only constants. */
    public MessageProperties() {
    }
}
