package dev.warren.client.impl;

import dev.warren.client.AMQP;
import dev.warren.client.AlreadyClosedException;
import dev.warren.client.Channel;
import dev.warren.client.Connection;
import dev.warren.client.Consumer;
import dev.warren.client.ExceptionHandler;
import dev.warren.client.TopologyRecoveryException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.ConnectException;

/**
 * An {@link ExceptionHandler} that logs what consumers and confirm or return listeners throw and
 * leaves their channel open, as the official client's handler of this name. A blocked listener
 * that throws still closes its connection (as there). Logs through {@link System.Logger}, logger
 * {@code dev.warren.client}.
 */
public class ForgivingExceptionHandler implements ExceptionHandler {
    private static final System.Logger LOG = System.getLogger("dev.warren.client");

    /** A handler that logs and keeps channels open. */
    public ForgivingExceptionHandler() {
    }

    @Override
    public void handleUnexpectedConnectionDriverException(Connection conn, Throwable exception) {
        log("An unexpected connection driver error occurred", exception);
    }

    @Override
    public void handleReturnListenerException(Channel channel, Throwable exception) {
        handleChannelKiller(channel, exception, "ReturnListener.handleReturn");
    }

    @Override
    public void handleConfirmListenerException(Channel channel, Throwable exception) {
        handleChannelKiller(channel, exception, "ConfirmListener.handle{N,A}ck");
    }

    @Override
    public void handleBlockedListenerException(Connection connection, Throwable exception) {
        handleConnectionKiller(connection, exception, "BlockedListener");
    }

    @Override
    public void handleConsumerException(Channel channel, Throwable exception, Consumer consumer, String consumerTag,
                                        String methodName) {
        handleChannelKiller(channel, exception,
                "Consumer " + consumer + " (" + consumerTag + ") method " + methodName + " for channel " + channel);
    }

    @Override
    public void handleConnectionRecoveryException(Connection conn, Throwable exception) {
        // A refused connection while the broker is down is expected during recovery.
        if (!(exception instanceof ConnectException)) {
            log("Caught an exception during connection recovery!", exception);
        }
    }

    @Override
    public void handleChannelRecoveryException(Channel ch, Throwable exception) {
        log("Caught an exception when recovering channel " + ch.getChannelNumber(), exception);
    }

    @Override
    public void handleTopologyRecoveryException(Connection conn, Channel ch, TopologyRecoveryException exception) {
        log("Caught an exception when recovering topology " + exception.getMessage(), exception);
    }

    /**
     * Called for an exception that would close a channel under a strict handler; this one only
     * logs it.
     *
     * @param channel the channel
     * @param exception what was thrown
     * @param what the callback that threw
     */
    protected void handleChannelKiller(Channel channel, Throwable exception, String what) {
        log(what + " threw an exception for channel " + channel, exception);
    }

    /**
     * Logs the exception and closes the connection (reply 200, "Closed due to exception from
     * " + what), aborting it if the close fails.
     *
     * @param connection the connection
     * @param exception what was thrown
     * @param what the callback that threw
     */
    protected void handleConnectionKiller(Connection connection, Throwable exception, String what) {
        log(what + " threw an exception for connection " + connection, exception);
        try {
            connection.close(AMQP.REPLY_SUCCESS, "Closed due to exception from " + what);
        } catch (AlreadyClosedException e) {
            // Already closed: nothing to do.
        } catch (IOException e) {
            log("Failure during close of connection " + connection + " after " + exception, e);
            connection.abort(AMQP.INTERNAL_ERROR, "Internal error closing connection for " + what);
        }
    }

    /**
     * Reports one exception; override to send it elsewhere.
     *
     * @param message what happened
     * @param e the exception
     */
    protected void log(String message, Throwable e) {
        LOG.log(Level.ERROR, message, e);
    }
}
