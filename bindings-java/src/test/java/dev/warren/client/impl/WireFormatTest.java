package dev.warren.client.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.rabbitmq.client.impl.ContentHeaderPropertyWriter;
import com.rabbitmq.client.impl.LongStringHelper;
import com.rabbitmq.client.impl.ValueReader;
import com.rabbitmq.client.impl.ValueWriter;
import dev.warren.client.AMQP;
import dev.warren.client.LongString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Field tables and properties encode byte for byte as the official client encodes them. */
class WireFormatTest {
    /** A table with every type Java values map to, in a fixed order. */
    static Map<String, Object> everyType() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("inner", 7);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("string", "héllo");
        t.put("longstring", WireFormat.longString("long"));
        t.put("int", 42);
        t.put("long", 1L << 40);
        t.put("short", (short) -3);
        t.put("byte", (byte) -1);
        t.put("bool", true);
        t.put("float", 1.5f);
        t.put("double", -2.25d);
        t.put("decimal", new BigDecimal("123.45"));
        t.put("date", new Date(1_700_000_000_000L));
        t.put("bytes", new byte[] {1, 2, 3});
        t.put("list", Arrays.asList(1, "two", 3L));
        t.put("array", new Object[] {false, (short) 2});
        t.put("map", nested);
        t.put("void", null);
        return t;
    }

    /** The same table for the official client (its own LongString type). */
    static Map<String, Object> everyTypeOfficial() {
        Map<String, Object> t = everyType();
        t.put("longstring", LongStringHelper.asLongString("long"));
        return t;
    }

    @Test
    void tablesAreByteExactWithTheOfficialClient() throws Exception {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        new ValueWriter(new DataOutputStream(expected)).writeTable(everyTypeOfficial());
        WireFormat.Writer w = new WireFormat.Writer(16);
        WireFormat.writeTable(w, everyType());
        assertArrayEquals(expected.toByteArray(), w.toByteArray());
    }

    @Test
    void propertiesAreByteExactWithTheOfficialClient() throws Exception {
        Date ts = new Date(1_700_000_000_000L);
        com.rabbitmq.client.AMQP.BasicProperties official = new com.rabbitmq.client.AMQP.BasicProperties.Builder()
                .contentType("application/json").contentEncoding("gzip").headers(everyTypeOfficial())
                .deliveryMode(2).priority(5).correlationId("c-1").replyTo("amq.rabbitmq.reply-to")
                .expiration("60000").messageId("m-1").timestamp(ts).type("t").userId("guest").appId("app")
                .clusterId("cl").build();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        official.writePropertiesTo(new ContentHeaderPropertyWriter(new DataOutputStream(expected)));
        AMQP.BasicProperties ours = new AMQP.BasicProperties.Builder()
                .contentType("application/json").contentEncoding("gzip").headers(everyType())
                .deliveryMode(2).priority(5).correlationId("c-1").replyTo("amq.rabbitmq.reply-to")
                .expiration("60000").messageId("m-1").timestamp(ts).type("t").userId("guest").appId("app")
                .clusterId("cl").build();
        assertArrayEquals(expected.toByteArray(), WireFormat.encodeProperties(ours));
    }

    @Test
    void tablesTheOfficialClientWritesDecodeToTheSameValues() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new ValueWriter(new DataOutputStream(bytes)).writeTable(everyTypeOfficial());
        Map<String, Object> ours = WireFormat.decodeTable(bytes.toByteArray());
        Map<String, Object> theirs = new ValueReader(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())))
                .readTable();
        assertEquals(theirs.keySet(), ours.keySet());
        for (String key : theirs.keySet()) {
            Object a = theirs.get(key);
            Object b = ours.get(key);
            if (a instanceof com.rabbitmq.client.LongString) {
                assertArrayEquals(((com.rabbitmq.client.LongString) a).getBytes(), ((LongString) b).getBytes(), key);
            } else if (a instanceof byte[]) {
                assertArrayEquals((byte[]) a, (byte[]) b, key);
            } else if (a instanceof List) {
                assertEquals(((List<?>) a).size(), ((List<?>) b).size(), key);
            } else if (a instanceof Map) {
                assertEquals(((Map<?, ?>) a).size(), ((Map<?, ?>) b).size(), key);
            } else {
                assertEquals(a, b, key);
            }
        }
    }

    @Test
    void emptyPropertiesAndTablesCrossAsNull() {
        assertNull(WireFormat.encodeProperties(null));
        assertNull(WireFormat.encodeProperties(new AMQP.BasicProperties()));
        assertNull(WireFormat.encodeTable(null));
        assertNull(WireFormat.encodeTable(Map.of()));
    }

    @Test
    void unsupportedValuesAndLongShortStringsAreRefused() {
        Map<String, Object> bad = Map.of("thread", new Object());
        assertThrows(IllegalArgumentException.class, () -> WireFormat.encodeTable(bad));
        AMQP.BasicProperties longType = new AMQP.BasicProperties.Builder().type("x".repeat(256)).build();
        assertThrows(IllegalArgumentException.class, () -> WireFormat.encodeProperties(longType));
        Map<String, Object> bigDecimal = Map.of("d", new BigDecimal("1e400"));
        assertThrows(IllegalArgumentException.class, () -> WireFormat.encodeTable(bigDecimal));
    }

    @Test
    void longStringHelperMakesLongStrings() {
        LongString s = dev.warren.client.impl.LongStringHelper.asLongString("héllo");
        assertEquals("héllo", s.toString());
        assertEquals(6, s.length());
        assertEquals(s, dev.warren.client.impl.LongStringHelper.asLongString(s.getBytes()));
        assertNull(dev.warren.client.impl.LongStringHelper.asLongString((String) null));
    }
}
