package dev.warren.client;

/**
 * A {@link Consumer} whose methods do nothing: extend it and override
 * {@link #handleDelivery(String, Envelope, AMQP.BasicProperties, byte[])}.
 */
public class DefaultConsumer implements Consumer {
    private final Channel channel;
    private volatile String consumerTag;

    /** @param channel the channel the consumer consumes on (for acknowledgements) */
    public DefaultConsumer(Channel channel) {
        this.channel = channel;
    }

    @Override
    public void handleConsumeOk(String consumerTag) {
        this.consumerTag = consumerTag;
    }

    @Override
    public void handleCancelOk(String consumerTag) {
    }

    @Override
    public void handleCancel(String consumerTag) throws java.io.IOException {
    }

    @Override
    public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
    }

    @Override
    public void handleRecoverOk(String consumerTag) {
    }

    @Override
    public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
            throws java.io.IOException {
    }

    /** @return the channel given to the constructor */
    public Channel getChannel() {
        return channel;
    }

    /** @return the consumer tag, once {@link #handleConsumeOk(String)} was called */
    public String getConsumerTag() {
        return consumerTag;
    }
}
