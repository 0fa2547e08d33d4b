import dev.warren.client.AMQP;
import dev.warren.client.BuiltinExchangeType;
import dev.warren.client.Channel;
import dev.warren.client.Connection;
import dev.warren.client.ConnectionFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Image upload (the talk's second scenario): a fanout exchange upload-pictures and the queues
 * resize-picture, reward-user and notify-friends each get every upload as JSON, acked by hand.
 */
public class ImageUpload {
    static final List<String> QUEUES = List.of("resize-picture", "reward-user", "notify-friends");

    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 ? args[0] : "amqp://guest:guest@127.0.0.1:5672/%2f";
        int uploads = 8;
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        try (Connection conn = factory.newConnection("image-upload")) {
            Channel ch = conn.createChannel();
            ch.exchangeDeclare("upload-pictures", BuiltinExchangeType.FANOUT, true, false, null);
            Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
            CountDownLatch all = new CountDownLatch(uploads * QUEUES.size());
            for (String queue : QUEUES) {
                ch.queueDeclare(queue, true, false, false, null);
                ch.queueBind(queue, "upload-pictures", "");
                Channel consumer = conn.createChannel();
                counts.put(queue, new AtomicInteger());
                consumer.basicConsume(queue, false, (tag, delivery) -> {
                    String json = new String(delivery.getBody(), StandardCharsets.UTF_8);
                    if (!"application/json".equals(delivery.getProperties().getContentType())
                            || !json.contains("\"image_path\"")) {
                        System.out.println("image_upload: FAILED: unexpected message " + json);
                        System.exit(1);
                    }
                    counts.get(queue).incrementAndGet();
                    consumer.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
                    all.countDown();
                }, tag -> { });
            }
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .contentType("application/json").deliveryMode(2).build();
            for (int i = 1; i <= uploads; i++) {
                String json = "{\"image_id\": " + i + ", \"user_id\": " + (100 + i)
                        + ", \"image_path\": \"/uploads/" + i + ".jpg\"}";
                ch.basicPublish("upload-pictures", "", props, json.getBytes(StandardCharsets.UTF_8));
            }
            if (!all.await(30, TimeUnit.SECONDS)) {
                System.out.println("image_upload: FAILED: counts " + counts);
                System.exit(1);
            }
            for (String queue : QUEUES) {
                ch.queueDelete(queue);
            }
            ch.exchangeDelete("upload-pictures");
            System.out.println("OK: " + uploads + " uploads reached " + counts);
        }
    }
}
