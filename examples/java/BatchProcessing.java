import dev.warren.client.AMQP;
import dev.warren.client.BuiltinExchangeType;
import dev.warren.client.Channel;
import dev.warren.client.Connection;
import dev.warren.client.ConnectionFactory;
import dev.warren.client.MessageProperties;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Batch processing (the talk's first scenario): a durable direct exchange video-desc-ex, a
 * durable queue video-desc-queue, persistent jobs, and workers that share the queue with
 * prefetch 1 and manual acks. Prints OK and exits 0 when every job was done once.
 */
public class BatchProcessing {
    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 ? args[0] : "amqp://guest:guest@127.0.0.1:5672/%2f";
        int workers = 3;
        int jobs = 30;
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        try (Connection conn = factory.newConnection("batch-processing")) {
            Channel setup = conn.createChannel();
            setup.exchangeDeclare("video-desc-ex", BuiltinExchangeType.DIRECT, true);
            setup.queueDeclare("video-desc-queue", true, false, false, null);
            setup.queueBind("video-desc-queue", "video-desc-ex", "video-desc");
            setup.queuePurge("video-desc-queue");

            Set<String> done = ConcurrentHashMap.newKeySet();
            CountDownLatch finished = new CountDownLatch(jobs);
            for (int w = 0; w < workers; w++) {
                Channel ch = conn.createChannel();
                ch.basicQos(1);
                int worker = w;
                ch.basicConsume("video-desc-queue", false, (tag, delivery) -> {
                    String job = new String(delivery.getBody(), StandardCharsets.UTF_8);
                    if (delivery.getProperties().getDeliveryMode() != 2) {
                        System.out.println("batch_processing: FAILED: job " + job + " is not persistent");
                        System.exit(1);
                    }
                    if (done.add(job)) {
                        finished.countDown();
                    }
                    ch.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
                }, tag -> { });
                System.out.println("worker " + worker + " started");
            }

            Channel publisher = conn.createChannel();
            publisher.confirmSelect();
            for (int i = 0; i < jobs; i++) {
                AMQP.BasicProperties props = MessageProperties.PERSISTENT_TEXT_PLAIN;
                publisher.basicPublish("video-desc-ex", "video-desc", props,
                        ("describe video " + i).getBytes(StandardCharsets.UTF_8));
            }
            publisher.waitForConfirmsOrDie(10_000);
            if (!finished.await(30, TimeUnit.SECONDS)) {
                System.out.println("batch_processing: FAILED: " + done.size() + " of " + jobs + " jobs done");
                System.exit(1);
            }
        }
        System.out.println("OK: " + jobs + " persistent jobs done by " + workers + " workers");
    }
}
