package dev.warren.client;

import java.io.IOException;
import java.util.concurrent.TimeoutException;

/** A synchronous channel request got no answer within the channel RPC timeout. */
public class ChannelContinuationTimeoutException extends IOException {
    private static final long serialVersionUID = 1L;
    /** The channel. */
    private final transient Object channel;
    /** Its number. */
    private final int channelNumber;
    /** The request, or null. */
    private final transient Method method;

    /**
     * @param cause the timeout
     * @param channel the channel
     * @param channelNumber its number
     * @param method the request that timed out, or null
     */
    public ChannelContinuationTimeoutException(TimeoutException cause, Object channel, int channelNumber,
                                               Method method) {
        super("Continuation call for method " + method + " on channel " + channel + " (#" + channelNumber
                + ") timed out", cause);
        this.channel = channel;
        this.channelNumber = channelNumber;
        this.method = method;
    }

    /** @return the request that timed out, or null */
    public Method getMethod() {
        return method;
    }

    /** @return the channel */
    public Object getChannel() {
        return channel;
    }

    /** @return the channel's number */
    public int getChannelNumber() {
        return channelNumber;
    }
}
