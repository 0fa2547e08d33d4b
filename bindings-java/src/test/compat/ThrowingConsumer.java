import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.ForgivingExceptionHandler;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An application whose consumer throws: with the default exception handler the channel is
 * closed (200, "Closed due to exception from Consumer ...") and the unacked message goes back to
 * the queue; shutdown listeners tell the application. With a ForgivingExceptionHandler the
 * channel stays open and the next message is consumed.
 */
public class ThrowingConsumer {
    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("check failed: " + what);
        }
    }

    public static void main(String[] argv) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(argv[0]);
        String queue = "throwing-consumer-" + System.nanoTime();
        BlockingQueue<ShutdownSignalException> connectionSignals = new LinkedBlockingQueue<>();
        Connection connection = factory.newConnection();
        connection.addShutdownListener(connectionSignals::add);

        Channel channel = connection.createChannel();
        BlockingQueue<ShutdownSignalException> channelSignals = new LinkedBlockingQueue<>();
        channel.addShutdownListener(channelSignals::add);
        channel.queueDeclare(queue, false, true, false, null);
        BlockingQueue<ShutdownSignalException> consumerSignals = new LinkedBlockingQueue<>();
        String tag = channel.basicConsume(queue, false, new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                       byte[] body) {
                throw new IllegalStateException("cannot handle " + new String(body, StandardCharsets.UTF_8));
            }

            @Override
            public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
                consumerSignals.add(sig);
            }
        });
        channel.basicPublish("", queue, null, "poison".getBytes(StandardCharsets.UTF_8));

        ShutdownSignalException sig = channelSignals.poll(10, TimeUnit.SECONDS);
        check(sig != null, "the channel's shutdown listener was called");
        check(!sig.isHardError(), "a channel error");
        check(sig.isInitiatedByApplication(), "closed by the client");
        check(sig.getReason() instanceof AMQP.Channel.Close, "the reason is a channel.close");
        AMQP.Channel.Close close = (AMQP.Channel.Close) sig.getReason();
        check(close.getReplyCode() == AMQP.REPLY_SUCCESS, "reply code 200, not " + close.getReplyCode());
        String expected = "Closed due to exception from Consumer (" + tag + ") method handleDelivery for channel ";
        check(close.getReplyText().startsWith(expected), "reply text: " + close.getReplyText());
        check(close.getReplyText().contains("AMQChannel(amqp://"), "names the channel: " + close.getReplyText());
        ShutdownSignalException consumerSig = consumerSignals.poll(10, TimeUnit.SECONDS);
        check(consumerSig != null, "the consumer got handleShutdownSignal");
        check(consumerSig.isInitiatedByApplication() && !consumerSig.isHardError(), "consumer's signal");
        check(!channel.isOpen(), "the channel is closed");
        check(channel.getCloseReason() != null, "the channel has a close reason");
        check(connection.isOpen(), "the connection stays open");
        check(connectionSignals.isEmpty(), "the connection's listener was not called");

        // The message was not acked: it is back in the queue, redelivered.
        Channel second = connection.createChannel();
        GetResponse again = null;
        for (int i = 0; i < 100 && again == null; i++) {
            again = second.basicGet(queue, true);
            if (again == null) {
                Thread.sleep(20);
            }
        }
        check(again != null, "the message went back to the queue");
        check(again.getEnvelope().isRedeliver(), "it is marked redelivered");
        connection.close();
        ShutdownSignalException connSig = connectionSignals.poll(10, TimeUnit.SECONDS);
        check(connSig != null, "the connection's listener was called on close");
        check(connSig.isHardError() && connSig.isInitiatedByApplication(), "a connection close by the client");
        check(((AMQP.Connection.Close) connSig.getReason()).getReplyCode() == 200, "reply code 200");
        check(!connection.isOpen(), "the connection is closed");

        // The forgiving handler keeps the channel open.
        factory.setExceptionHandler(new ForgivingExceptionHandler());
        try (Connection forgiving = factory.newConnection()) {
            Channel ch = forgiving.createChannel();
            ch.queueDeclare(queue, false, true, false, null);
            CountDownLatch good = new CountDownLatch(1);
            ch.basicConsume(queue, true, (consumerTag, delivery) -> {
                if (new String(delivery.getBody(), StandardCharsets.UTF_8).equals("poison")) {
                    throw new IllegalStateException("poison");
                }
                good.countDown();
            }, consumerTag -> { });
            ch.basicPublish("", queue, null, "poison".getBytes(StandardCharsets.UTF_8));
            ch.basicPublish("", queue, null, "fine".getBytes(StandardCharsets.UTF_8));
            check(good.await(10, TimeUnit.SECONDS), "the next message was consumed");
            check(ch.isOpen(), "the channel stayed open");
        }
        System.out.println(" [x] consumer exceptions handled as the official client does");
    }
}
