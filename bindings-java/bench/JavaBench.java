import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmCallback;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;
import com.rabbitmq.client.MessageProperties;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Publish and consume loops, written for the official client; bench.sh compiles it as it is and
 * with its imports swapped to dev.warren.client. Usage: JavaBench URI MODE COUNT, MODE one of
 * publish (16 B transient), consume (16 B, auto-ack, from a queue filled first), confirm
 * (16 B persistent to a durable queue with confirms, window 256). Prints "MODE RATE" (msg/s).
 */
public class JavaBench {
    public static void main(String[] args) throws Exception {
        String uri = args[0];
        String mode = args[1];
        int count = Integer.parseInt(args[2]);
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        byte[] body = new byte[16];
        String queue = "java-bench-" + mode;
        try (Connection conn = factory.newConnection()) {
            Channel ch = conn.createChannel();
            ch.queueDeclare(queue, mode.equals("confirm"), false, false, null);
            ch.queuePurge(queue);
            double rate;
            if (mode.equals("publish")) {
                long start = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    ch.basicPublish("", queue, null, body);
                }
                // Publishing is done when the broker has them all: a round trip after the last.
                ch.queueDeclarePassive(queue);
                rate = count / ((System.nanoTime() - start) / 1e9);
            } else if (mode.equals("consume")) {
                for (int i = 0; i < count; i++) {
                    ch.basicPublish("", queue, null, body);
                }
                while (ch.messageCount(queue) < count) {
                    Thread.sleep(10);
                }
                Channel consumer = conn.createChannel();
                consumer.basicQos(1000);
                CountDownLatch done = new CountDownLatch(count);
                DeliverCallback onMessage = (tag, d) -> done.countDown();
                long start = System.nanoTime();
                consumer.basicConsume(queue, true, onMessage, tag -> { });
                if (!done.await(300, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("consumed " + (count - done.getCount()));
                }
                rate = count / ((System.nanoTime() - start) / 1e9);
            } else if (mode.equals("confirm")) {
                ch.confirmSelect();
                Semaphore window = new Semaphore(256);
                ConcurrentSkipListSet<Long> outstanding = new ConcurrentSkipListSet<>();
                ConfirmCallback settle = (seq, multiple) -> {
                    int n = 0;
                    if (multiple) {
                        NavigableSet<Long> upTo = outstanding.headSet(seq, true);
                        n = upTo.size();
                        upTo.clear();
                    } else if (outstanding.remove(seq)) {
                        n = 1;
                    }
                    window.release(n);
                };
                ch.addConfirmListener(settle, settle);
                long start = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    window.acquire();
                    outstanding.add(ch.getNextPublishSeqNo());
                    ch.basicPublish("", queue, MessageProperties.MINIMAL_PERSISTENT_BASIC, body);
                }
                ch.waitForConfirmsOrDie(60_000);
                rate = count / ((System.nanoTime() - start) / 1e9);
            } else {
                throw new IllegalArgumentException("mode: publish, consume or confirm");
            }
            ch.queueDelete(queue);
            System.out.printf("%s %.0f%n", mode, rate);
        }
    }
}
