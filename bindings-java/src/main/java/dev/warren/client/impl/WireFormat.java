package dev.warren.client.impl;

import dev.warren.client.AMQP;
import dev.warren.client.LongString;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytes that cross to the native library (the other side is
 * {@code bindings-java/src/bridge.rs}): basic properties and field tables in their AMQP
 * encoding, which the native side decodes and checks with Warren's core codec, mapped to and
 * from Java values exactly as the official client maps them ({@code String} and
 * {@link LongString} as {@code S}, {@code Integer} {@code I}, {@code Long} {@code l},
 * {@code Short} {@code s}, {@code Byte} {@code b}, {@code Boolean} {@code t}, {@code Float}
 * {@code f}, {@code Double} {@code d}, {@code BigDecimal} {@code D}, {@code Date} {@code T},
 * {@code byte[]} {@code x}, {@code List} and arrays {@code A}, {@code Map} {@code F}, null
 * {@code V}); and the batches the native side writes (deliveries, returns, events).
 */
public final class WireFormat {
    private WireFormat() {
    }

    /** An empty set of properties, shared (it holds nothing mutable). */
    static final AMQP.BasicProperties NO_PROPERTIES = new AMQP.BasicProperties();

    // ----------------------------------------------------------------------------- encoding

    /** A growable big-endian byte buffer. */
    public static final class Writer {
        private byte[] buf;
        private int len;

        /** @param capacity initial capacity */
        public Writer(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        private void ensure(int n) {
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
        }

        /** @param v one byte */
        public void u8(int v) {
            ensure(1);
            buf[len++] = (byte) v;
        }

        /** @param v two bytes */
        public void u16(int v) {
            ensure(2);
            buf[len++] = (byte) (v >>> 8);
            buf[len++] = (byte) v;
        }

        /** @param v four bytes */
        public void u32(int v) {
            ensure(4);
            buf[len++] = (byte) (v >>> 24);
            buf[len++] = (byte) (v >>> 16);
            buf[len++] = (byte) (v >>> 8);
            buf[len++] = (byte) v;
        }

        /** @param v eight bytes */
        public void u64(long v) {
            u32((int) (v >>> 32));
            u32((int) v);
        }

        /** @param b raw bytes */
        public void bytes(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
        }

        /** @return bytes written */
        public int length() {
            return len;
        }

        /**
         * @param at a position already written
         * @param v four bytes to put there
         */
        void putU32(int at, int v) {
            buf[at] = (byte) (v >>> 24);
            buf[at + 1] = (byte) (v >>> 16);
            buf[at + 2] = (byte) (v >>> 8);
            buf[at + 3] = (byte) v;
        }

        /** @return a copy of the bytes written */
        public byte[] toByteArray() {
            return Arrays.copyOf(buf, len);
        }
    }

    private static void shortString(Writer w, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 255) {
            throw new IllegalArgumentException("Short string too long; utf-8 encoded length = " + b.length
                    + ", max = 255.");
        }
        w.u8(b.length);
        w.bytes(b);
    }

    private static void longBytes(Writer w, byte[] b) {
        w.u32(b.length);
        w.bytes(b);
    }

    /**
     * Encodes properties as a content header's property flags and list.
     *
     * @param p the properties, or null
     * @return the bytes, or null when no property is set
     */
    public static byte[] encodeProperties(AMQP.BasicProperties p) {
        if (p == null) {
            return null;
        }
        int flags = 0;
        if (p.getContentType() != null) {
            flags |= 1 << 15;
        }
        if (p.getContentEncoding() != null) {
            flags |= 1 << 14;
        }
        if (p.getHeaders() != null) {
            flags |= 1 << 13;
        }
        if (p.getDeliveryMode() != null) {
            flags |= 1 << 12;
        }
        if (p.getPriority() != null) {
            flags |= 1 << 11;
        }
        if (p.getCorrelationId() != null) {
            flags |= 1 << 10;
        }
        if (p.getReplyTo() != null) {
            flags |= 1 << 9;
        }
        if (p.getExpiration() != null) {
            flags |= 1 << 8;
        }
        if (p.getMessageId() != null) {
            flags |= 1 << 7;
        }
        if (p.getTimestamp() != null) {
            flags |= 1 << 6;
        }
        if (p.getType() != null) {
            flags |= 1 << 5;
        }
        if (p.getUserId() != null) {
            flags |= 1 << 4;
        }
        if (p.getAppId() != null) {
            flags |= 1 << 3;
        }
        if (p.getClusterId() != null) {
            flags |= 1 << 2;
        }
        if (flags == 0) {
            return null;
        }
        Writer w = new Writer(64);
        w.u16(flags);
        if (p.getContentType() != null) {
            shortString(w, p.getContentType());
        }
        if (p.getContentEncoding() != null) {
            shortString(w, p.getContentEncoding());
        }
        if (p.getHeaders() != null) {
            writeTable(w, p.getHeaders());
        }
        if (p.getDeliveryMode() != null) {
            w.u8(p.getDeliveryMode());
        }
        if (p.getPriority() != null) {
            w.u8(p.getPriority());
        }
        if (p.getCorrelationId() != null) {
            shortString(w, p.getCorrelationId());
        }
        if (p.getReplyTo() != null) {
            shortString(w, p.getReplyTo());
        }
        if (p.getExpiration() != null) {
            shortString(w, p.getExpiration());
        }
        if (p.getMessageId() != null) {
            shortString(w, p.getMessageId());
        }
        if (p.getTimestamp() != null) {
            w.u64(p.getTimestamp().getTime() / 1000);
        }
        if (p.getType() != null) {
            shortString(w, p.getType());
        }
        if (p.getUserId() != null) {
            shortString(w, p.getUserId());
        }
        if (p.getAppId() != null) {
            shortString(w, p.getAppId());
        }
        if (p.getClusterId() != null) {
            shortString(w, p.getClusterId());
        }
        return w.toByteArray();
    }

    /**
     * Encodes a field table (length and entries).
     *
     * @param table the table, or null
     * @return the bytes, or null for a null or empty table
     */
    public static byte[] encodeTable(Map<String, Object> table) {
        if (table == null || table.isEmpty()) {
            return null;
        }
        Writer w = new Writer(64);
        writeTable(w, table);
        return w.toByteArray();
    }

    /**
     * Writes a table: its length, then each entry in the map's iteration order.
     *
     * @param w where to write
     * @param table the table (null is written as an empty table)
     */
    public static void writeTable(Writer w, Map<String, ?> table) {
        int at = w.length();
        w.u32(0);
        if (table != null) {
            for (Map.Entry<String, ?> entry : table.entrySet()) {
                shortString(w, entry.getKey());
                writeFieldValue(w, entry.getValue());
            }
        }
        w.putU32(at, w.length() - at - 4);
    }

    /**
     * Writes one tagged field value.
     *
     * @param w where to write
     * @param value the value
     * @throws IllegalArgumentException for a type AMQP tables cannot hold
     */
    public static void writeFieldValue(Writer w, Object value) {
        if (value instanceof String) {
            w.u8('S');
            longBytes(w, ((String) value).getBytes(StandardCharsets.UTF_8));
        } else if (value instanceof LongString) {
            w.u8('S');
            longBytes(w, ((LongString) value).getBytes());
        } else if (value instanceof Integer) {
            w.u8('I');
            w.u32((Integer) value);
        } else if (value instanceof BigDecimal) {
            BigDecimal decimal = (BigDecimal) value;
            if (decimal.scale() > 255 || decimal.scale() < 0) {
                throw new IllegalArgumentException("BigDecimal has too large of a scale to be encoded. "
                        + "The scale was: " + decimal.scale());
            }
            BigInteger unscaled = decimal.unscaledValue();
            if (unscaled.bitLength() > 31) {
                throw new IllegalArgumentException("BigDecimal too large to be encoded");
            }
            w.u8('D');
            w.u8(decimal.scale());
            w.u32(unscaled.intValue());
        } else if (value instanceof Date) {
            w.u8('T');
            w.u64(((Date) value).getTime() / 1000);
        } else if (value instanceof Map) {
            w.u8('F');
            @SuppressWarnings("unchecked")
            Map<String, ?> map = (Map<String, ?>) value;
            writeTable(w, map);
        } else if (value instanceof Byte) {
            w.u8('b');
            w.u8((Byte) value);
        } else if (value instanceof Double) {
            w.u8('d');
            w.u64(Double.doubleToLongBits((Double) value));
        } else if (value instanceof Float) {
            w.u8('f');
            w.u32(Float.floatToIntBits((Float) value));
        } else if (value instanceof Long) {
            w.u8('l');
            w.u64((Long) value);
        } else if (value instanceof Short) {
            w.u8('s');
            w.u16((Short) value);
        } else if (value instanceof Boolean) {
            w.u8('t');
            w.u8((Boolean) value ? 1 : 0);
        } else if (value instanceof byte[]) {
            w.u8('x');
            longBytes(w, (byte[]) value);
        } else if (value == null) {
            w.u8('V');
        } else if (value instanceof List) {
            w.u8('A');
            writeArray(w, (List<?>) value);
        } else if (value instanceof Object[]) {
            w.u8('A');
            writeArray(w, Arrays.asList((Object[]) value));
        } else {
            throw new IllegalArgumentException("Invalid value type: " + value.getClass().getName());
        }
    }

    private static void writeArray(Writer w, List<?> items) {
        int at = w.length();
        w.u32(0);
        for (Object item : items) {
            writeFieldValue(w, item);
        }
        w.putU32(at, w.length() - at - 4);
    }

    // ----------------------------------------------------------------------------- decoding

    /** A cursor over bytes written by the native library (big-endian). */
    public static final class Reader {
        private final byte[] buf;
        private int pos;
        private final int end;

        /** @param buf the bytes */
        public Reader(byte[] buf) {
            this(buf, 0, buf.length);
        }

        Reader(byte[] buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        private void need(int n) {
            if (pos + n > end || n < 0) {
                throw new IllegalStateException("truncated data from Warren's native library");
            }
        }

        /** @return whether bytes remain */
        public boolean hasRemaining() {
            return pos < end;
        }

        /** @return one unsigned byte */
        public int u8() {
            need(1);
            return buf[pos++] & 0xff;
        }

        /** @return two bytes, unsigned */
        public int u16() {
            need(2);
            int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
            pos += 2;
            return v;
        }

        /** @return four bytes */
        public int u32() {
            need(4);
            int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8)
                    | (buf[pos + 3] & 0xff);
            pos += 4;
            return v;
        }

        /** @return eight bytes */
        public long u64() {
            long hi = u32() & 0xffffffffL;
            long lo = u32() & 0xffffffffL;
            return (hi << 32) | lo;
        }

        /**
         * @param n how many
         * @return a copy of the next {@code n} bytes
         */
        public byte[] bytes(int n) {
            need(n);
            byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
            pos += n;
            return out;
        }

        /** @return bytes with a {@code u32} length */
        public byte[] longBytes() {
            return bytes(u32());
        }

        /** @return a UTF-8 string with a {@code u32} length */
        public String string() {
            int n = u32();
            need(n);
            String s = new String(buf, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        String shortString() {
            int n = u8();
            need(n);
            String s = new String(buf, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        Reader sub(int n) {
            need(n);
            Reader r = new Reader(buf, pos, pos + n);
            pos += n;
            return r;
        }
    }

    /**
     * Reads properties written with a {@code u32} length (0: none set).
     *
     * @param r the reader
     * @return the properties (never null)
     */
    public static AMQP.BasicProperties readProperties(Reader r) {
        int n = r.u32();
        if (n == 0) {
            return NO_PROPERTIES;
        }
        return decodeProperties(r.sub(n));
    }

    /**
     * Decodes a content header's property flags and list.
     *
     * @param r the reader over exactly the properties
     * @return the properties
     */
    static AMQP.BasicProperties decodeProperties(Reader r) {
        int flags = r.u16();
        String contentType = (flags & (1 << 15)) != 0 ? r.shortString() : null;
        String contentEncoding = (flags & (1 << 14)) != 0 ? r.shortString() : null;
        Map<String, Object> headers = (flags & (1 << 13)) != 0 ? readTable(r) : null;
        Integer deliveryMode = (flags & (1 << 12)) != 0 ? r.u8() : null;
        Integer priority = (flags & (1 << 11)) != 0 ? r.u8() : null;
        String correlationId = (flags & (1 << 10)) != 0 ? r.shortString() : null;
        String replyTo = (flags & (1 << 9)) != 0 ? r.shortString() : null;
        String expiration = (flags & (1 << 8)) != 0 ? r.shortString() : null;
        String messageId = (flags & (1 << 7)) != 0 ? r.shortString() : null;
        Date timestamp = (flags & (1 << 6)) != 0 ? new Date(r.u64() * 1000) : null;
        String type = (flags & (1 << 5)) != 0 ? r.shortString() : null;
        String userId = (flags & (1 << 4)) != 0 ? r.shortString() : null;
        String appId = (flags & (1 << 3)) != 0 ? r.shortString() : null;
        String clusterId = (flags & (1 << 2)) != 0 ? r.shortString() : null;
        return new AMQP.BasicProperties(contentType, contentEncoding, headers, deliveryMode, priority, correlationId,
                replyTo, expiration, messageId, timestamp, type, userId, appId, clusterId);
    }

    /**
     * Decodes a field table (length and entries) into a {@link HashMap}; string values are
     * {@link LongString}s, as the official client reads them. A repeated key keeps its first
     * value.
     *
     * @param r the reader
     * @return the table
     */
    public static Map<String, Object> readTable(Reader r) {
        int n = r.u32();
        if (n == 0) {
            return Collections.emptyMap();
        }
        Reader t = r.sub(n);
        Map<String, Object> table = new HashMap<>();
        while (t.hasRemaining()) {
            String key = t.shortString();
            Object value = readFieldValue(t);
            table.putIfAbsent(key, value);
        }
        return table;
    }

    /**
     * Decodes a whole field table from bytes.
     *
     * @param bytes the table's encoding
     * @return the table
     */
    public static Map<String, Object> decodeTable(byte[] bytes) {
        return readTable(new Reader(bytes));
    }

    private static Object readFieldValue(Reader r) {
        int tag = r.u8();
        switch (tag) {
            case 'S':
                return new LongStringImpl(r.longBytes());
            case 'I':
                return r.u32();
            case 'i':
                return r.u32() & 0xffffffffL;
            case 'D': {
                int scale = r.u8();
                byte[] unscaled = r.bytes(4);
                return new BigDecimal(new BigInteger(unscaled), scale);
            }
            case 'T':
                return new Date(r.u64() * 1000);
            case 'F':
                return readTable(r);
            case 'A': {
                Reader a = r.sub(r.u32());
                List<Object> list = new ArrayList<>();
                while (a.hasRemaining()) {
                    list.add(readFieldValue(a));
                }
                return list;
            }
            case 'b':
                return (byte) r.u8();
            case 'B':
                return (short) r.u8();
            case 'd':
                return Double.longBitsToDouble(r.u64());
            case 'f':
                return Float.intBitsToFloat(r.u32());
            case 'l':
            case 'L':
                return r.u64();
            case 's':
                return (short) r.u16();
            case 'u':
                return r.u16();
            case 't':
                return r.u8() != 0;
            case 'x':
                return r.longBytes();
            case 'V':
                return null;
            default:
                throw new IllegalStateException("Unrecognised type in table: " + (char) tag);
        }
    }

    /** A {@link LongString} over bytes. */
    static final class LongStringImpl implements LongString {
        private final byte[] bytes;

        LongStringImpl(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public long length() {
            return bytes.length;
        }

        @Override
        public DataInputStream getStream() {
            return new DataInputStream(new ByteArrayInputStream(bytes));
        }

        @Override
        public byte[] getBytes() {
            return bytes;
        }

        @Override
        public String toString() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        @Override
        public boolean equals(Object o) {
            if (o instanceof LongString) {
                return Arrays.equals(bytes, ((LongString) o).getBytes());
            }
            return false;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    /**
     * Makes a {@link LongString} of a Java string (UTF-8).
     *
     * @param s the string
     * @return the long string
     */
    public static LongString longString(String s) {
        return new LongStringImpl(s.getBytes(StandardCharsets.UTF_8));
    }
}
