package dev.warren.client;

import java.lang.System.Logger.Level;

/**
 * The exception handler connections use unless told otherwise: it logs each exception (through
 * {@link System.Logger}, logger {@code dev.warren.client}) and lets the connection and the
 * channel go on. (The official client's default closes the channel of a consumer that threw;
 * Warren keeps it, as the official {@code ForgivingExceptionHandler} does.)
 */
public class DefaultExceptionHandler implements ExceptionHandler {
    private static final System.Logger LOG = System.getLogger("dev.warren.client");

    /** A handler that logs. */
    public DefaultExceptionHandler() {
    }

    /**
     * Logs one exception; override to report elsewhere.
     *
     * @param what what was running
     * @param exception what it threw
     */
    protected void log(String what, Throwable exception) {
        LOG.log(Level.WARNING, what + " threw an exception", exception);
    }

    @Override
    public void handleUnexpectedConnectionDriverException(Connection conn, Throwable exception) {
        log("the connection", exception);
    }

    @Override
    public void handleReturnListenerException(Channel channel, Throwable exception) {
        log("a return listener of channel " + channel.getChannelNumber(), exception);
    }

    @Override
    public void handleConfirmListenerException(Channel channel, Throwable exception) {
        log("a confirm listener of channel " + channel.getChannelNumber(), exception);
    }

    @Override
    public void handleBlockedListenerException(Connection connection, Throwable exception) {
        log("a blocked listener", exception);
    }

    @Override
    public void handleConsumerException(Channel channel, Throwable exception, Consumer consumer, String consumerTag,
                                        String methodName) {
        log("consumer " + consumerTag + " (" + methodName + ") on channel " + channel.getChannelNumber(), exception);
    }

    @Override
    public void handleConnectionRecoveryException(Connection conn, Throwable exception) {
        log("connection recovery", exception);
    }

    @Override
    public void handleChannelRecoveryException(Channel ch, Throwable exception) {
        log("channel recovery", exception);
    }

    @Override
    public void handleTopologyRecoveryException(Connection conn, Channel ch, TopologyRecoveryException exception) {
        log("topology recovery", exception);
    }
}
