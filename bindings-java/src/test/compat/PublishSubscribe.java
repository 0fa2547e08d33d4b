import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public class PublishSubscribe {
    private static final String EXCHANGE_NAME = "logs_compat";

    public static void main(String[] argv) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(argv[0]);
        try (Connection connection = factory.newConnection()) {
            Channel channel = connection.createChannel();
            channel.exchangeDeclare(EXCHANGE_NAME, BuiltinExchangeType.FANOUT);
            CountDownLatch latch = new CountDownLatch(6);
            for (int i = 0; i < 2; i++) {
                Channel listener = connection.createChannel();
                String queueName = listener.queueDeclare().getQueue();
                listener.queueBind(queueName, EXCHANGE_NAME, "");
                DeliverCallback deliverCallback = (consumerTag, delivery) -> latch.countDown();
                listener.basicConsume(queueName, true, deliverCallback, consumerTag -> { });
            }
            for (int i = 0; i < 3; i++) {
                channel.basicPublish(EXCHANGE_NAME, "", null, ("info: " + i).getBytes(StandardCharsets.UTF_8));
            }
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("missing " + latch.getCount() + " deliveries");
            }
            channel.exchangeDelete(EXCHANGE_NAME);
        }
    }
}
