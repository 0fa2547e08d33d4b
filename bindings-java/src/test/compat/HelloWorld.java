import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

public class HelloWorld {
    public static void main(String[] argv) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(argv[0]);
        String queueName = "hello-" + System.nanoTime();
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            channel.queueDeclare(queueName, false, false, true, null);
            BlockingQueue<String> received = new ArrayBlockingQueue<>(1);
            DeliverCallback deliverCallback = (consumerTag, delivery) -> {
                received.add(new String(delivery.getBody(), StandardCharsets.UTF_8));
            };
            channel.basicConsume(queueName, true, deliverCallback, consumerTag -> { });
            String message = "Hello World!";
            channel.basicPublish("", queueName, null, message.getBytes(StandardCharsets.UTF_8));
            String got = received.poll(10, TimeUnit.SECONDS);
            if (!message.equals(got)) {
                throw new IllegalStateException("received " + got);
            }
            System.out.println(" [x] Received '" + got + "'");
        }
    }
}
