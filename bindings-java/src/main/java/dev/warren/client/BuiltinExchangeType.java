package dev.warren.client;

/** The exchange types brokers provide, for {@link Channel#exchangeDeclare(String, BuiltinExchangeType)}. */
public enum BuiltinExchangeType {
    /** Routes on an exact routing key match. */
    DIRECT("direct"),
    /** Routes to every bound queue. */
    FANOUT("fanout"),
    /** Routes on routing-key patterns ({@code *}, {@code #}). */
    TOPIC("topic"),
    /** Routes on header values. */
    HEADERS("headers"),
    /** RabbitMQ's consistent-hash plugin exchange. */
    CONSISTENT_HASH("x-consistent-hash"),
    /** RabbitMQ's modulus-hash exchange. */
    MODULUS_HASH("x-modulus-hash"),
    /** RabbitMQ's local-random exchange. */
    LOCAL_RANDOM("x-local-random"),
    /** RabbitMQ's random exchange. */
    RANDOM("x-random");

    private final String type;

    BuiltinExchangeType(String type) {
        this.type = type;
    }

    /** @return the type's name on the wire, e.g. {@code "topic"} */
    public String getType() {
        return type;
    }
}
