import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownListener;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A DefaultConsumer subclass that overrides every callback, and shutdown listeners on channels
 * closed by the broker, by the application and with the connection.
 */
public class ConsumerLifecycle {
    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("check failed: " + what);
        }
    }

    /** Records what happens to it as text. */
    static class RecordingConsumer extends DefaultConsumer {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        volatile ShutdownSignalException signal;

        RecordingConsumer(Channel channel) {
            super(channel);
        }

        @Override
        public void handleConsumeOk(String consumerTag) {
            super.handleConsumeOk(consumerTag);
            events.add("consume-ok " + consumerTag);
        }

        @Override
        public void handleCancelOk(String consumerTag) {
            events.add("cancel-ok " + consumerTag);
        }

        @Override
        public void handleCancel(String consumerTag) throws IOException {
            events.add("cancel " + consumerTag);
        }

        @Override
        public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
            signal = sig;
            events.add("shutdown " + consumerTag);
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                   byte[] body) throws IOException {
            events.add("delivery " + new String(body, StandardCharsets.UTF_8));
            getChannel().basicAck(envelope.getDeliveryTag(), false);
        }
    }

    static String next(RecordingConsumer c) throws InterruptedException {
        String e = c.events.poll(10, TimeUnit.SECONDS);
        check(e != null, "an event came");
        return e;
    }

    public static void main(String[] argv) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(argv[0]);
        String queue = "lifecycle-" + System.nanoTime();
        Connection connection = factory.newConnection();
        try {
            Channel channel = connection.createChannel();
            channel.queueDeclare(queue, false, false, false, null);

            // consume-ok, a delivery, cancel-ok.
            RecordingConsumer first = new RecordingConsumer(channel);
            String tag = channel.basicConsume(queue, false, "lifecycle-first", first);
            check(tag.equals("lifecycle-first"), "the consumer tag given is used");
            check(next(first).equals("consume-ok lifecycle-first"), "handleConsumeOk");
            check(first.getConsumerTag().equals(tag), "DefaultConsumer remembers its tag");
            channel.basicPublish("", queue, null, "one".getBytes(StandardCharsets.UTF_8));
            check(next(first).equals("delivery one"), "handleDelivery");
            channel.basicCancel(tag);
            check(next(first).equals("cancel-ok lifecycle-first"), "handleCancelOk");

            // The broker cancels a consumer whose queue is deleted.
            RecordingConsumer second = new RecordingConsumer(channel);
            String tag2 = channel.basicConsume(queue, true, second);
            check(next(second).equals("consume-ok " + tag2), "handleConsumeOk with a broker-made tag");
            check(tag2.startsWith("amq.ctag-"), "the broker's tag format: " + tag2);
            Channel other = connection.createChannel();
            other.queueDelete(queue);
            check(next(second).equals("cancel " + tag2), "handleCancel after the queue was deleted");
            check(channel.isOpen(), "the channel stays open after a cancel");

            // A channel closed by the broker: listener, close reason, consumer signal.
            channel.queueDeclare(queue, false, false, false, null);
            RecordingConsumer third = new RecordingConsumer(channel);
            channel.basicConsume(queue, false, third);
            next(third);
            BlockingQueue<ShutdownSignalException> channelSignals = new LinkedBlockingQueue<>();
            ShutdownListener listener = channelSignals::add;
            channel.addShutdownListener(listener);
            BlockingQueue<ShutdownSignalException> removed = new LinkedBlockingQueue<>();
            ShutdownListener removedListener = removed::add;
            channel.addShutdownListener(removedListener);
            channel.removeShutdownListener(removedListener);
            try {
                channel.queueDeclarePassive(queue + "-missing");
                check(false, "a passive declare of a missing queue fails");
            } catch (IOException e) {
                check(e.getCause() instanceof ShutdownSignalException, "the cause is the shutdown signal");
            }
            ShutdownSignalException sig = channelSignals.poll(10, TimeUnit.SECONDS);
            check(sig != null, "the channel's listener was called");
            check(!sig.isHardError() && !sig.isInitiatedByApplication(), "a channel error from the broker");
            AMQP.Channel.Close close = (AMQP.Channel.Close) sig.getReason();
            check(close.getReplyCode() == AMQP.NOT_FOUND, "404, not " + close.getReplyCode());
            check(close.getReplyText().startsWith("NOT_FOUND"), "text: " + close.getReplyText());
            check(close.getClassId() == 50 && close.getMethodId() == 10, "caused by queue.declare");
            check(sig.getReference() != null, "the signal names what shut down");
            check(!channel.isOpen(), "the channel is closed");
            check(channel.getCloseReason().getReason() instanceof AMQP.Channel.Close, "getCloseReason");
            check(next(third).startsWith("shutdown "), "the consumer got handleShutdownSignal");
            check(!third.signal.isInitiatedByApplication(), "the consumer's signal came from the broker");
            check(removed.isEmpty(), "a removed listener is not called");
            try {
                channel.basicPublish("", queue, null, new byte[0]);
                check(false, "publishing on a closed channel fails");
            } catch (AlreadyClosedException e) {
                check(e.getReason() instanceof AMQP.Channel.Close, "AlreadyClosedException carries the reason");
            }
            channel.abort();

            // A listener added after the close is called at once.
            BlockingQueue<ShutdownSignalException> late = new LinkedBlockingQueue<>();
            channel.addShutdownListener(late::add);
            check(late.poll(5, TimeUnit.SECONDS) != null, "a late listener is called");

            // The application closes a channel.
            Channel closing = connection.createChannel();
            RecordingConsumer fourth = new RecordingConsumer(closing);
            closing.basicConsume(queue, true, fourth);
            next(fourth);
            BlockingQueue<ShutdownSignalException> closingSignals = new LinkedBlockingQueue<>();
            closing.addShutdownListener(closingSignals::add);
            closing.close(AMQP.REPLY_SUCCESS, "done here");
            ShutdownSignalException appSig = closingSignals.poll(10, TimeUnit.SECONDS);
            check(appSig != null && appSig.isInitiatedByApplication() && !appSig.isHardError(), "closed by the app");
            check(((AMQP.Channel.Close) appSig.getReason()).getReplyText().equals("done here"), "the text given");
            check(next(fourth).startsWith("shutdown "), "the consumer heard the close");
            check(fourth.signal.isInitiatedByApplication(), "the consumer's signal says the app closed it");

            // Closing the connection tells the channels still open.
            BlockingQueue<ShutdownSignalException> otherSignals = new LinkedBlockingQueue<>();
            other.addShutdownListener(otherSignals::add);
            other.queueDelete(queue);
            connection.close();
            ShutdownSignalException connSig = otherSignals.poll(10, TimeUnit.SECONDS);
            check(connSig != null, "the open channel's listener was called with the connection");
            check(connSig.isHardError() && connSig.isInitiatedByApplication(), "a connection close by the app");
            check(!other.isOpen(), "the channel is closed with its connection");
        } finally {
            if (connection.isOpen()) {
                connection.abort();
            }
        }
        System.out.println(" [x] consumer and shutdown callbacks as the official client makes them");
    }
}
