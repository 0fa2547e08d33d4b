package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every property and field type crosses between Warren and the official client, both ways. */
class PeerRoundTripTest {
    private static final Date TIMESTAMP = new Date(1_700_000_000_000L);

    private static Map<String, Object> headers(boolean official) {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("inner", "value");
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("string", "héllo");
        h.put("int", 42);
        h.put("long", 1L << 40);
        h.put("short", (short) -3);
        h.put("byte", (byte) -1);
        h.put("bool", true);
        h.put("float", 1.5f);
        h.put("double", -2.25d);
        h.put("decimal", new BigDecimal("123.45"));
        h.put("date", TIMESTAMP);
        h.put("bytes", new byte[] {1, 2, 3});
        h.put("list", Arrays.asList(1, "two", 3L));
        h.put("map", nested);
        h.put("void", null);
        return h;
    }

    private static void assertHeaders(Map<String, Object> h) {
        assertEquals("héllo", h.get("string").toString());
        assertEquals(42, h.get("int"));
        assertEquals(1L << 40, h.get("long"));
        assertEquals((short) -3, h.get("short"));
        assertEquals((byte) -1, h.get("byte"));
        assertEquals(true, h.get("bool"));
        assertEquals(1.5f, h.get("float"));
        assertEquals(-2.25d, h.get("double"));
        assertEquals(new BigDecimal("123.45"), h.get("decimal"));
        assertEquals(TIMESTAMP, h.get("date"));
        assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) h.get("bytes"));
        List<?> list = assertInstanceOf(List.class, h.get("list"));
        assertEquals(3, list.size());
        assertEquals(1, list.get(0));
        assertEquals("two", list.get(1).toString());
        assertEquals(3L, list.get(2));
        Map<?, ?> map = assertInstanceOf(Map.class, h.get("map"));
        assertEquals("value", map.get("inner").toString());
        assertEquals(true, h.containsKey("void"));
        assertEquals(null, h.get("void"));
    }

    @Test
    void officialClientPublishesWarrenConsumes() throws Exception {
        try (Connection conn = Brokers.factory().newConnection();
             com.rabbitmq.client.Connection official = Brokers.officialFactory().newConnection()) {
            Channel ch = conn.createChannel();
            String q = ch.queueDeclare().getQueue();
            BlockingQueue<Delivery> got = new ArrayBlockingQueue<>(1);
            ch.basicConsume(q, true, (t, d) -> got.add(d), t -> { });
            com.rabbitmq.client.Channel och = official.createChannel();
            com.rabbitmq.client.AMQP.BasicProperties props = new com.rabbitmq.client.AMQP.BasicProperties.Builder()
                    .contentType("application/json").contentEncoding("utf-8").headers(headers(true))
                    .deliveryMode(2).priority(5).correlationId("corr").replyTo("reply-q").expiration("60000")
                    .messageId("msg-1").timestamp(TIMESTAMP).type("kind").userId("guest").appId("app").build();
            och.basicPublish("", q, props, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
            Delivery d = got.poll(5, TimeUnit.SECONDS);
            assertNotNull(d);
            AMQP.BasicProperties p = d.getProperties();
            assertEquals("application/json", p.getContentType());
            assertEquals("utf-8", p.getContentEncoding());
            assertEquals(2, p.getDeliveryMode());
            assertEquals(5, p.getPriority());
            assertEquals("corr", p.getCorrelationId());
            assertEquals("reply-q", p.getReplyTo());
            assertEquals("60000", p.getExpiration());
            assertEquals("msg-1", p.getMessageId());
            assertEquals(TIMESTAMP, p.getTimestamp());
            assertEquals("kind", p.getType());
            assertEquals("guest", p.getUserId());
            assertEquals("app", p.getAppId());
            assertHeaders(p.getHeaders());
            assertEquals("{\"a\":1}", new String(d.getBody(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void warrenPublishesOfficialClientConsumes() throws Exception {
        try (Connection conn = Brokers.factory().newConnection();
             com.rabbitmq.client.Connection official = Brokers.officialFactory().newConnection()) {
            com.rabbitmq.client.Channel och = official.createChannel();
            String q = och.queueDeclare().getQueue();
            BlockingQueue<com.rabbitmq.client.Delivery> got = new ArrayBlockingQueue<>(1);
            och.basicConsume(q, true, (t, d) -> got.add(d), t -> { });
            Channel ch = conn.createChannel();
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .contentType("application/json").contentEncoding("utf-8").headers(headers(false))
                    .deliveryMode(2).priority(5).correlationId("corr").replyTo("reply-q").expiration("60000")
                    .messageId("msg-1").timestamp(TIMESTAMP).type("kind").userId("guest").appId("app").build();
            ch.basicPublish("", q, props, new byte[] {0, (byte) 0xff, 7});
            com.rabbitmq.client.Delivery d = got.poll(5, TimeUnit.SECONDS);
            assertNotNull(d);
            com.rabbitmq.client.AMQP.BasicProperties p = d.getProperties();
            assertEquals("application/json", p.getContentType());
            assertEquals("utf-8", p.getContentEncoding());
            assertEquals(2, p.getDeliveryMode());
            assertEquals(5, p.getPriority());
            assertEquals("corr", p.getCorrelationId());
            assertEquals("reply-q", p.getReplyTo());
            assertEquals("60000", p.getExpiration());
            assertEquals("msg-1", p.getMessageId());
            assertEquals(TIMESTAMP, p.getTimestamp());
            assertEquals("kind", p.getType());
            assertEquals("guest", p.getUserId());
            assertEquals("app", p.getAppId());
            assertHeaders(p.getHeaders());
            assertArrayEquals(new byte[] {0, (byte) 0xff, 7}, d.getBody());
        }
    }
}
