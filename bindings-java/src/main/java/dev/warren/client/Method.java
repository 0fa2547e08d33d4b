package dev.warren.client;

/**
 * An AMQP method, as the broker's replies and close reasons are reported (for example
 * {@link AMQP.Channel.Close} in {@link ShutdownSignalException#getReason()}).
 */
public interface Method {
    /** @return the AMQP class id (e.g. 50 for {@code queue}) */
    int protocolClassId();

    /** @return the AMQP method id within its class */
    int protocolMethodId();

    /** @return the method's name, e.g. {@code "queue.declare-ok"} */
    String protocolMethodName();
}
