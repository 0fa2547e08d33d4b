import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;
import com.rabbitmq.client.MessageProperties;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public class WorkQueues {
    private static final String TASK_QUEUE_NAME = "task_queue_compat";

    public static void main(String[] argv) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(argv[0]);
        int tasks = 20;
        try (Connection connection = factory.newConnection()) {
            Channel setup = connection.createChannel();
            setup.queueDeclare(TASK_QUEUE_NAME, true, false, false, null);
            setup.queuePurge(TASK_QUEUE_NAME);
            Set<String> done = ConcurrentHashMap.newKeySet();
            CountDownLatch latch = new CountDownLatch(tasks);
            for (int w = 0; w < 2; w++) {
                final Channel channel = connection.createChannel();
                channel.basicQos(1);
                DeliverCallback deliverCallback = (consumerTag, delivery) -> {
                    String message = new String(delivery.getBody(), StandardCharsets.UTF_8);
                    try {
                        Thread.sleep(message.length() % 3);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.add(message);
                        latch.countDown();
                        channel.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
                    }
                };
                channel.basicConsume(TASK_QUEUE_NAME, false, deliverCallback, consumerTag -> { });
            }
            Channel producer = connection.createChannel();
            for (int i = 0; i < tasks; i++) {
                String message = "task " + i + ".".repeat(i % 4);
                producer.basicPublish("", TASK_QUEUE_NAME, MessageProperties.PERSISTENT_TEXT_PLAIN,
                        message.getBytes(StandardCharsets.UTF_8));
            }
            if (!latch.await(20, TimeUnit.SECONDS) || done.size() != tasks) {
                throw new IllegalStateException("done " + done.size() + " of " + tasks);
            }
            setup.queueDelete(TASK_QUEUE_NAME);
        }
    }
}
