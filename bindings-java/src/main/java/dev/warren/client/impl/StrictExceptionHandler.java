package dev.warren.client.impl;

import dev.warren.client.AMQP;
import dev.warren.client.AlreadyClosedException;
import dev.warren.client.Channel;
import dev.warren.client.Consumer;
import dev.warren.client.ExceptionHandler;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * An {@link ExceptionHandler} that closes the channel of a consumer, confirm listener or return
 * listener that threw (reply 200, "Closed due to exception from ..."), as the official client's
 * handler of this name; the channel's consumers then get
 * {@link Consumer#handleShutdownSignal}. If the close itself fails, the connection is aborted.
 */
public class StrictExceptionHandler extends ForgivingExceptionHandler implements ExceptionHandler {
    /** A handler that closes the channel of a callback that threw. */
    public StrictExceptionHandler() {
    }

    @Override
    public void handleConsumerException(Channel channel, Throwable exception, Consumer consumer, String consumerTag,
                                        String methodName) {
        String where = " (" + consumerTag + ") method " + methodName + " for channel " + channel;
        handleChannelKiller(channel, exception, "Consumer " + consumer + where, "Consumer" + where);
    }

    @Override
    protected void handleChannelKiller(Channel channel, Throwable exception, String what) {
        handleChannelKiller(channel, exception, what, what);
    }

    /**
     * Logs the exception and closes the channel.
     *
     * @param channel the channel
     * @param exception what was thrown
     * @param logMessage what is logged
     * @param closeMessage what the close reason names (after "Closed due to exception from ")
     */
    protected void handleChannelKiller(Channel channel, Throwable exception, String logMessage,
                                       String closeMessage) {
        log(logMessage + " threw an exception for channel " + channel, exception);
        try {
            channel.close(AMQP.REPLY_SUCCESS, "Closed due to exception from " + closeMessage);
        } catch (AlreadyClosedException | TimeoutException e) {
            // Closed already, or the broker did not answer in time: the channel is gone either way.
        } catch (IOException e) {
            log("Failure during close of channel " + channel + " after " + exception, e);
            channel.getConnection().abort(AMQP.INTERNAL_ERROR, "Internal error closing channel for " + closeMessage);
        }
    }
}
