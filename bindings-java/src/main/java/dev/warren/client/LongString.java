package dev.warren.client;

import java.io.DataInputStream;
import java.io.IOException;

/**
 * An AMQP long string: the bytes of a field-table string value ({@code S}), which need not be
 * UTF-8. Field tables read from the broker hold these where the official client does;
 * {@link #toString()} decodes them as UTF-8.
 */
public interface LongString {
    /** The largest length a long string can have on the wire. */
    long MAX_LENGTH = 0xffffffffL;

    /** @return the number of bytes */
    long length();

    /**
     * @return a stream over the bytes
     * @throws IOException never for in-memory strings; declared as in the official client
     */
    DataInputStream getStream() throws IOException;

    /** @return the bytes (not copied: do not modify) */
    byte[] getBytes();

    /** @return the bytes decoded as UTF-8 */
    @Override
    String toString();
}
