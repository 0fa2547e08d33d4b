package dev.warren.client.impl;

import dev.warren.client.AlreadyClosedException;
import dev.warren.client.AuthenticationFailureException;
import dev.warren.client.ConsumerCancelledException;
import dev.warren.client.MalformedFrameException;
import dev.warren.client.MissedHeartbeatException;
import dev.warren.client.Return;
import dev.warren.client.ShutdownSignalException;
import dev.warren.client.UnroutableRpcRequestException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeoutException;

/**
 * The one place native errors become the API's exceptions. {@link #translate} decides the
 * exception for each kind of error; the other methods fit it to what a method may throw
 * ({@code IOException}, {@code TimeoutException}, or nothing checked).
 */
public final class Errors {
    private Errors() {
    }

    /**
     * The exception a native error stands for.
     *
     * @param e the native error
     * @param ref the connection or channel it happened on (the shutdown signal's reference)
     * @return an {@link IOException}, a {@link TimeoutException} or a {@link RuntimeException}
     */
    public static Exception translate(NativeException e, Object ref) {
        switch (e.kind()) {
            case NativeException.CONNECTION_CLOSED:
                return new ShutdownSignalException(true, false,
                        new Methods.Close(true, e.replyCode(), e.replyText(), e.classId(), e.methodId()), ref);
            case NativeException.CHANNEL_CLOSED:
            case NativeException.MESSAGE_TOO_LARGE:
            case NativeException.BAD_CONTENT:
                return new ShutdownSignalException(false, false,
                        new Methods.Close(false, e.replyCode(), e.replyText(), e.classId(), e.methodId()), ref,
                        e.getMessage(), null);
            case NativeException.CONNECTION_CLOSED_BY_CLIENT:
                return new AlreadyClosedException(clientClose(true, ref));
            case NativeException.CHANNEL_CLOSED_BY_CLIENT:
                return new AlreadyClosedException(clientClose(false, ref));
            case NativeException.PROTOCOL:
                return new MalformedFrameException(e.getMessage());
            case NativeException.CONNECTION_REFUSED:
                return new java.net.ConnectException(e.getMessage());
            case NativeException.IO:
            case NativeException.MECHANISM:
            case NativeException.CHANNELS_EXHAUSTED:
            case NativeException.PUBLISH_UNCONFIRMED:
            case NativeException.STALE_DELIVERY_TAG:
                return new IOException(e.getMessage());
            case NativeException.TLS:
                return new javax.net.ssl.SSLException(e.getMessage());
            case NativeException.INVALID_ARGUMENT:
                return new IllegalArgumentException(e.getMessage());
            case NativeException.AUTHENTICATION:
                return new AuthenticationFailureException(e.getMessage());
            case NativeException.MISSED_HEARTBEATS:
                return new MissedHeartbeatException(e.getMessage());
            case NativeException.CONNECT_TIMEOUT:
                return new java.net.SocketTimeoutException(e.getMessage());
            case NativeException.TIMEOUT:
                return new TimeoutException(e.getMessage());
            case NativeException.CONSUMER_CANCELLED:
                return new ConsumerCancelledException();
            case NativeException.CONNECTION_LOST:
                // The connection went while the request waited; if the broker closed it, the
                // signal carries that connection.close, as the official client's does.
                return new IOException(e.getMessage(), new ShutdownSignalException(true, false,
                        e.replyCode() == 0 ? null
                                : new Methods.Close(true, e.replyCode(), e.replyText(), e.classId(), e.methodId()),
                        ref, e.replyCode() == 0 ? e.getMessage() : "", null));
            case NativeException.UNROUTABLE:
                return new UnroutableRpcRequestException(
                        new Return(e.replyCode(), e.replyText(), "", "", null, new byte[0]));
            case NativeException.INVALID_STATE:
            case NativeException.USED_AFTER_FORK:
                return new IllegalStateException(e.getMessage());
            case NativeException.INTERNAL:
            default:
                return new IllegalStateException("internal error in Warren's native library: " + e.getMessage(), e);
        }
    }

    /**
     * The shutdown signal of a close the application asked for.
     *
     * @param hard true for the connection
     * @param ref the connection or channel
     * @return the signal (reply 200 OK)
     */
    public static ShutdownSignalException clientClose(boolean hard, Object ref) {
        return clientClose(hard, 200, "OK", ref);
    }

    /**
     * @param hard true for the connection
     * @param code the reply code the application sent
     * @param text the reply text the application sent
     * @param ref the connection or channel
     * @return the signal
     */
    public static ShutdownSignalException clientClose(boolean hard, int code, String text, Object ref) {
        return new ShutdownSignalException(hard, true, new Methods.Close(hard, code, text, 0, 0), ref);
    }

    /**
     * For a method that throws {@link IOException}: returns it, or throws an unchecked exception
     * (an {@link AlreadyClosedException}, {@link IllegalArgumentException}, ...). A shutdown of
     * the channel or connection during the call is an {@code IOException} with the
     * {@link ShutdownSignalException} as its cause, as in the official client.
     *
     * @param e the native error
     * @param ref the connection or channel
     * @return the exception to throw
     */
    public static IOException io(NativeException e, Object ref) {
        Exception t = translate(e, ref);
        if (t instanceof IOException) {
            return (IOException) t;
        }
        if (t instanceof AlreadyClosedException) {
            throw (AlreadyClosedException) t;
        }
        if (t instanceof ShutdownSignalException) {
            return new IOException(t.getMessage(), t);
        }
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        return new IOException(t.getMessage(), t);
    }

    /**
     * For a method that throws {@link IOException} and {@link TimeoutException}.
     *
     * @param e the native error
     * @param ref the connection or channel
     * @return an {@code IOException} or a {@code TimeoutException}
     */
    public static Exception ioOrTimeout(NativeException e, Object ref) {
        Exception t = translate(e, ref);
        if (t instanceof TimeoutException) {
            return t;
        }
        return io(e, ref);
    }

    /**
     * For a method that throws no checked exception.
     *
     * @param e the native error
     * @param ref the connection or channel
     * @return the unchecked exception to throw
     */
    public static RuntimeException unchecked(NativeException e, Object ref) {
        Exception t = translate(e, ref);
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        if (t instanceof IOException) {
            return new UncheckedIOException((IOException) t);
        }
        return new IllegalStateException(t.getMessage(), t);
    }

    /**
     * Why a connection or channel ended, as a shutdown signal (for listeners and
     * {@code getCloseReason()}).
     *
     * @param e the native error
     * @param hard true for the connection
     * @param ref the connection or channel
     * @return the signal
     */
    public static ShutdownSignalException shutdownSignal(NativeException e, boolean hard, Object ref) {
        Exception t = translate(e, ref);
        if (t instanceof IOException && t.getCause() instanceof ShutdownSignalException) {
            // A request cut off by the connection's end: the end itself is the signal.
            return (ShutdownSignalException) t.getCause();
        }
        if (t instanceof ShutdownSignalException) {
            ShutdownSignalException sse = (ShutdownSignalException) t;
            if (t instanceof AlreadyClosedException) {
                return new ShutdownSignalException(sse.isHardError(), true, sse.getReason(), ref);
            }
            return sse;
        }
        return new ShutdownSignalException(hard, false, null, ref, e.getMessage(), t);
    }
}
