import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Consumer;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Declares topology with the short overloads (exchangeDeclare with a durable flag, by name and
 * by BuiltinExchangeType), the NoWait variants, exchange-to-exchange bindings, and consumes with
 * the seven-argument basicConsume (tag, noLocal, exclusive, arguments, Consumer).
 */
public class TopologyOverloads {
    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("check failed: " + what);
        }
    }

    public static void main(String[] argv) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(argv[0]);
        String id = Long.toString(System.nanoTime());
        String logs = "overloads-logs-" + id;
        String fanout = "overloads-fanout-" + id;
        String internal = "overloads-internal-" + id;
        String queue = "overloads-queue-" + id;
        String noWaitQueue = "overloads-nowait-" + id;
        try (Connection connection = factory.newConnection("overloads-" + id)) {
            Channel channel = connection.createChannel();
            check(connection.getClientProvidedName().equals("overloads-" + id), "the connection name");
            check(AMQP.PROTOCOL.PORT == 5672, "AMQP.PROTOCOL.PORT");

            AMQP.Exchange.DeclareOk ok = channel.exchangeDeclare(logs, "topic", false);
            check(ok != null, "exchangeDeclare(name, type, durable)");
            channel.exchangeDeclare(fanout, BuiltinExchangeType.FANOUT, false);
            channel.exchangeDeclare(internal, BuiltinExchangeType.DIRECT, false, true, true, null);
            channel.exchangeDeclarePassive(logs);
            channel.exchangeBind(fanout, logs, "#.error");
            Map<String, Object> args = new HashMap<>();
            args.put("x-max-length", 100);
            AMQP.Queue.DeclareOk declared = channel.queueDeclare(queue, false, false, false, args);
            check(declared.getQueue().equals(queue), "queueDeclare returns the name");
            check(declared.getMessageCount() == 0 && declared.getConsumerCount() == 0, "an empty queue");
            channel.queueBind(queue, fanout, "", new HashMap<>());
            channel.queueDeclareNoWait(noWaitQueue, false, false, false, null);
            channel.queueBindNoWait(noWaitQueue, logs, "server1.#", null);
            channel.exchangeDeclareNoWait(logs + "-alt", BuiltinExchangeType.HEADERS, false, true, false, null);
            channel.basicQos(10, false);

            // The seven-argument basicConsume with a Consumer.
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            Consumer consumer = new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                           byte[] body) throws IOException {
                    got.add(consumerTag + " " + envelope.getExchange() + " " + envelope.getRoutingKey() + " "
                            + new String(body, StandardCharsets.UTF_8) + " " + properties.getDeliveryMode());
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                }
            };
            String tag = channel.basicConsume(queue, false, "overloads-consumer", false, true, null, consumer);
            check(tag.equals("overloads-consumer"), "the tag given");
            check(channel.consumerCount(queue) == 1, "one consumer");

            channel.basicPublish(logs, "server1.db.error", MessageProperties.PERSISTENT_TEXT_PLAIN,
                    "disk full".getBytes(StandardCharsets.UTF_8));
            channel.basicPublish(logs, "server1.db.info", null, "ignored".getBytes(StandardCharsets.UTF_8));
            String line = got.poll(10, TimeUnit.SECONDS);
            check(("overloads-consumer " + logs + " server1.db.error disk full 2").equals(line), "got " + line);

            // The ByteBuffer form of basicPublish and its WriteListener.
            AtomicBoolean written = new AtomicBoolean();
            channel.basicPublish(fanout, "", false, false, null,
                    ByteBuffer.wrap("from a buffer".getBytes(StandardCharsets.UTF_8)),
                    (success, cause) -> written.set(success && cause == null));
            check(written.get(), "the write listener was told");
            line = got.poll(10, TimeUnit.SECONDS);
            check(line != null && line.contains("from a buffer"), "got " + line);

            // Both messages went to the NoWait queue too (server1.#).
            Channel reader = connection.createChannel();
            GetResponse first = null;
            for (int i = 0; i < 100 && first == null; i++) {
                first = reader.basicGet(noWaitQueue, true);
                if (first == null) {
                    Thread.sleep(20);
                }
            }
            check(first != null, "the NoWait binding routes");
            check(channel.messageCount(noWaitQueue) == 1, "one more waits: " + channel.messageCount(noWaitQueue));

            // An exclusive consumer shuts out a second one (403 closes that channel).
            Channel intruder = connection.createChannel();
            BlockingQueue<ShutdownSignalException> intruderSignals = new LinkedBlockingQueue<>();
            intruder.addShutdownListener(intruderSignals::add);
            try {
                intruder.basicConsume(queue, true, "intruder", false, false, null, new DefaultConsumer(intruder));
                check(false, "a second consumer on an exclusive consumer's queue is refused");
            } catch (IOException e) {
                ShutdownSignalException sig = (ShutdownSignalException) e.getCause();
                check(((AMQP.Channel.Close) sig.getReason()).getReplyCode() == AMQP.ACCESS_REFUSED, "403");
            }
            check(intruderSignals.poll(10, TimeUnit.SECONDS) != null, "its listener was called");

            // Confirms with two callbacks, cleared listeners, waitForConfirms with a timeout.
            Channel confirms = connection.createChannel();
            confirms.confirmSelect();
            BlockingQueue<Long> acked = new LinkedBlockingQueue<>();
            ConfirmListener listener = confirms.addConfirmListener((seq, multiple) -> acked.add(seq),
                    (seq, multiple) -> acked.add(-seq));
            long seq = confirms.getNextPublishSeqNo();
            confirms.basicPublish("", queue, null, "confirmed".getBytes(StandardCharsets.UTF_8));
            check(confirms.waitForConfirms(5000), "confirmed in time");
            Long confirmed = acked.poll(10, TimeUnit.SECONDS);
            check(confirmed != null && confirmed == seq, "the ack callback got " + confirmed);
            check(confirms.removeConfirmListener(listener), "removed");
            confirms.clearConfirmListeners();
            confirms.clearReturnListeners();
            confirms.waitForConfirmsOrDie(5000);

            channel.basicCancel(tag);
            channel.queueUnbind(queue, fanout, "");
            channel.exchangeUnbind(fanout, logs, "#.error");
            channel.queueDeleteNoWait(noWaitQueue, false, false);
            channel.exchangeDeleteNoWait(logs + "-alt", false);
            channel.exchangeDelete(internal);
            channel.exchangeDelete(fanout, false);
            channel.exchangeDelete(logs);
            channel.queueDelete(queue, false, false);
        }
        System.out.println(" [x] topology overloads behave as with the official client");
    }
}
