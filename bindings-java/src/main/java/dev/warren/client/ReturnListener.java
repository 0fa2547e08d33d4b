package dev.warren.client;

/** Told of returned (unroutable mandatory) messages, on the channel's return thread. */
@FunctionalInterface
public interface ReturnListener {
    /**
     * @param replyCode why (312 NO_ROUTE)
     * @param replyText the broker's explanation
     * @param exchange the exchange
     * @param routingKey the routing key
     * @param properties the message's properties
     * @param body the message's body
     * @throws java.io.IOException reported to the connection's {@link ExceptionHandler}
     */
    void handleReturn(int replyCode, String replyText, String exchange, String routingKey,
                      AMQP.BasicProperties properties, byte[] body) throws java.io.IOException;
}
