package dev.warren.client;

/**
 * Why a connection or channel shut down: a hard error (the connection) or a soft one (a
 * channel), started by the application or by the broker, with the AMQP close that carried
 * the reply code and text ({@link #getReason()}).
 */
public class ShutdownSignalException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** True for the connection, false for a channel. */
    private final boolean hardError;
    /** True if the application asked for the shutdown. */
    private final boolean initiatedByApplication;
    private final transient Method reason;
    private final transient Object ref;

    /**
     * @param hardError true for the connection, false for a channel
     * @param initiatedByApplication true if the application closed it
     * @param reason the close method ({@link AMQP.Connection.Close} or {@link AMQP.Channel.Close}), or null
     * @param ref the connection or channel
     */
    public ShutdownSignalException(boolean hardError, boolean initiatedByApplication, Method reason, Object ref) {
        this(hardError, initiatedByApplication, reason, ref, "", null);
    }

    /**
     * @param hardError true for the connection, false for a channel
     * @param initiatedByApplication true if the application closed it
     * @param reason the close method, or null
     * @param ref the connection or channel
     * @param messagePrefix text to put before the generated message
     * @param cause the underlying exception, or null
     */
    public ShutdownSignalException(boolean hardError, boolean initiatedByApplication, Method reason, Object ref,
                                   String messagePrefix, Throwable cause) {
        super(composeMessage(hardError, initiatedByApplication, reason, messagePrefix, cause));
        this.hardError = hardError;
        this.initiatedByApplication = initiatedByApplication;
        this.reason = reason;
        this.ref = ref;
        if (cause != null) {
            initCause(cause);
        }
    }

    private static String composeMessage(boolean hardError, boolean initiatedByApplication, Method reason,
                                         String messagePrefix, Throwable cause) {
        StringBuilder sb = new StringBuilder(messagePrefix == null ? "" : messagePrefix);
        if (sb.length() > 0) {
            sb.append(": ");
        }
        sb.append(hardError ? "connection error" : "channel error");
        if (initiatedByApplication) {
            sb.append(", initiated by application");
        }
        if (reason != null) {
            sb.append("; protocol method: ").append(reason);
        } else if (cause != null) {
            sb.append("; cause: ").append(cause);
        }
        return sb.toString();
    }

    /** @return true if the connection shut down, false if a channel did */
    public boolean isHardError() {
        return hardError;
    }

    /** @return true if the application asked for the shutdown */
    public boolean isInitiatedByApplication() {
        return initiatedByApplication;
    }

    /** @return the close method with reply code, text, class id and method id, or null */
    public Method getReason() {
        return reason;
    }

    /** @return the connection or channel that shut down */
    public Object getReference() {
        return ref;
    }

    /** @return a copy of this exception, with this one as the cause (for rethrowing on another thread) */
    public ShutdownSignalException sensibleClone() {
        ShutdownSignalException copy = new ShutdownSignalException(hardError, initiatedByApplication, reason, ref,
                "", this);
        return copy;
    }
}
