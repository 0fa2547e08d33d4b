package dev.warren.client;

import java.util.UUID;

/** The broker the tests talk to, from the system properties scripts/bindings/java.sh sets. */
final class Brokers {
    private Brokers() {
    }

    /** @return the AMQP URI of the broker under test */
    static String uri() {
        return System.getProperty("warren.test.uri", "amqp://guest:guest@127.0.0.1:5672/%2f");
    }

    /** @return "rabbitmq" or "warren" */
    static String name() {
        return System.getProperty("warren.test.broker", "rabbitmq");
    }

    static boolean isWarren() {
        return "warren".equals(name());
    }

    /** @return a Warren connection factory for the broker under test */
    static ConnectionFactory factory() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(uri());
        return f;
    }

    /** @return the official client's factory for the same broker */
    static com.rabbitmq.client.ConnectionFactory officialFactory() throws Exception {
        com.rabbitmq.client.ConnectionFactory f = new com.rabbitmq.client.ConnectionFactory();
        f.setUri(uri());
        return f;
    }

    /** @return a name no other test uses */
    static String unique(String prefix) {
        return "java-test-" + prefix + "-" + UUID.randomUUID();
    }
}
