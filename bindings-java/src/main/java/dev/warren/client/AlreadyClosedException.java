package dev.warren.client;

/** Thrown by an operation on a connection or channel that was already closed. */
public class AlreadyClosedException extends ShutdownSignalException {
    private static final long serialVersionUID = 1L;

    /** @param sse why it was closed */
    public AlreadyClosedException(ShutdownSignalException sse) {
        this(sse, null);
    }

    /**
     * @param sse why it was closed
     * @param cause the underlying exception, or null
     */
    public AlreadyClosedException(ShutdownSignalException sse, Throwable cause) {
        super(sse.isHardError(), sse.isInitiatedByApplication(), sse.getReason(), sse.getReference(),
                composeMessagePrefix(sse), cause == null ? sse.getCause() : cause);
    }

    private static String composeMessagePrefix(ShutdownSignalException sse) {
        String connectionOrChannel = sse.isHardError() ? "connection " : "channel ";
        return connectionOrChannel + "is already closed due to " + (sse.isInitiatedByApplication()
                ? "clean " + connectionOrChannel + "shutdown" : "previous error");
    }
}
