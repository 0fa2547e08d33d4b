package dev.warren.client.impl;

import java.nio.charset.StandardCharsets;

/**
 * A failure reported by the native library: the kind of error (see the constants, mirrored
 * from {@code bindings-java/src/error.rs}) and, for closes from the broker, the AMQP reply code,
 * reply text, class id and method id. Internal: {@link Errors} turns it into the API's
 * exceptions before it reaches the application.
 */
public final class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A bug (a panic, a failed JNI call). */
    public static final int INTERNAL = 0;
    /** The broker closed the connection. */
    public static final int CONNECTION_CLOSED = 1;
    /** The broker closed the channel. */
    public static final int CHANNEL_CLOSED = 2;
    /** The application closed the connection. */
    public static final int CONNECTION_CLOSED_BY_CLIENT = 3;
    /** The application (or a connection failure) closed the channel. */
    public static final int CHANNEL_CLOSED_BY_CLIENT = 4;
    /** The peer broke the protocol. */
    public static final int PROTOCOL = 5;
    /** A socket error. */
    public static final int IO = 6;
    /** TLS failed. */
    public static final int TLS = 7;
    /** An invalid argument or URI. */
    public static final int INVALID_ARGUMENT = 8;
    /** The broker refused the credentials. */
    public static final int AUTHENTICATION = 9;
    /** No common SASL mechanism. */
    public static final int MECHANISM = 10;
    /** Heartbeats stopped. */
    public static final int MISSED_HEARTBEATS = 11;
    /** Connecting took too long. */
    public static final int CONNECT_TIMEOUT = 12;
    /** An operation took too long. */
    public static final int TIMEOUT = 13;
    /** The broker cancelled a consumer. */
    public static final int CONSUMER_CANCELLED = 14;
    /** No free channel number. */
    public static final int CHANNELS_EXHAUSTED = 15;
    /** The call does not fit the state (e.g. waitForConfirms outside confirm mode). */
    public static final int INVALID_STATE = 16;
    /** The connection was lost during the call; recovery is reconnecting. */
    public static final int CONNECTION_LOST = 17;
    /** A publish in confirm mode was never confirmed. */
    public static final int PUBLISH_UNCONFIRMED = 18;
    /** A delivery tag from before a recovery. */
    public static final int STALE_DELIVERY_TAG = 19;
    /** An incoming message was too large; its channel closed. */
    public static final int MESSAGE_TOO_LARGE = 20;
    /** An RPC request was returned unroutable. */
    public static final int UNROUTABLE = 21;
    /** Undecodable content from the broker; its channel closed. */
    public static final int BAD_CONTENT = 22;
    /** A connection used in a forked child. */
    public static final int USED_AFTER_FORK = 23;
    /** Nothing listens at the address. */
    public static final int CONNECTION_REFUSED = 24;

    /** The kind of error (a constant above). */
    private final int kind;
    /** The AMQP reply code, or 0. */
    private final int replyCode;
    /** The class of the method that caused the close, or 0. */
    private final int classId;
    /** The method that caused the close, or 0. */
    private final int methodId;
    /** The AMQP reply text, or "". */
    private final String replyText;

    /**
     * Called by the native library with the error's bytes.
     *
     * @param encoded kind, reply code, class id, method id, reply text, message
     */
    public NativeException(byte[] encoded) {
        this(new WireFormat.Reader(encoded));
    }

    private NativeException(WireFormat.Reader r) {
        this(r.u8(), r.u16(), r.u16(), r.u16(), r.string(), r.string());
    }

    /**
     * @param kind the kind of error
     * @param replyCode the AMQP reply code, or 0
     * @param classId the class of the method that caused the close, or 0
     * @param methodId the method that caused the close, or 0
     * @param replyText the AMQP reply text, or ""
     * @param message a description
     */
    public NativeException(int kind, int replyCode, int classId, int methodId, String replyText, String message) {
        super(message);
        this.kind = kind;
        this.replyCode = replyCode;
        this.classId = classId;
        this.methodId = methodId;
        this.replyText = replyText;
    }

    /**
     * Reads one error written by the native library's {@code write_error}.
     *
     * @param r the reader positioned at the error
     * @return the error
     */
    static NativeException read(WireFormat.Reader r) {
        return new NativeException(r);
    }

    /** @return the kind of error (a constant of this class) */
    public int kind() {
        return kind;
    }

    /** @return the AMQP reply code, or 0 */
    public int replyCode() {
        return replyCode;
    }

    /** @return the class id of the method that caused the close, or 0 */
    public int classId() {
        return classId;
    }

    /** @return the method id of the method that caused the close, or 0 */
    public int methodId() {
        return methodId;
    }

    /** @return the AMQP reply text, or "" */
    public String replyText() {
        return replyText;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
