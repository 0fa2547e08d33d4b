import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

public class Topics {
    private static final String EXCHANGE_NAME = "topic_logs_compat";

    public static void main(String[] argv) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(argv[0]);
        try (Connection connection = factory.newConnection()) {
            Channel channel = connection.createChannel();
            channel.exchangeDeclare(EXCHANGE_NAME, "topic");
            String queueName = channel.queueDeclare().getQueue();
            channel.queueBind(queueName, EXCHANGE_NAME, "*.orange.*");
            channel.queueBind(queueName, EXCHANGE_NAME, "lazy.#");
            List<String> got = new CopyOnWriteArrayList<>();
            channel.basicConsume(queueName, false, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                           byte[] body) throws IOException {
                    got.add(envelope.getRoutingKey());
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                }
            });
            for (String key : new String[] {"quick.orange.rabbit", "lazy.brown.fox", "quick.brown.fox",
                    "lazy.orange.elephant"}) {
                channel.basicPublish(EXCHANGE_NAME, key, null, key.getBytes(StandardCharsets.UTF_8));
            }
            long deadline = System.currentTimeMillis() + 10_000;
            while (got.size() < 3 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(100);
            if (!got.equals(List.of("quick.orange.rabbit", "lazy.brown.fox", "lazy.orange.elephant"))) {
                throw new IllegalStateException("got " + got);
            }
            channel.exchangeDeclare(EXCHANGE_NAME, BuiltinExchangeType.TOPIC);
            channel.exchangeDelete(EXCHANGE_NAME);
        }
    }
}
