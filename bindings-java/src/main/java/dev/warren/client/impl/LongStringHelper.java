package dev.warren.client.impl;

import dev.warren.client.LongString;

/** Makes {@link LongString}s, as the official client's helper of the same name. */
public final class LongStringHelper {
    private LongStringHelper() {
    }

    /**
     * @param string a Java string
     * @return its UTF-8 bytes as a long string
     */
    public static LongString asLongString(String string) {
        return string == null ? null : WireFormat.longString(string);
    }

    /**
     * @param bytes bytes (not copied)
     * @return them as a long string
     */
    public static LongString asLongString(byte[] bytes) {
        return bytes == null ? null : new WireFormat.LongStringImpl(bytes);
    }
}
