import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

public class Routing {
    private static final String EXCHANGE_NAME = "direct_logs_compat";

    public static void main(String[] argv) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(argv[0]);
        try (Connection connection = factory.newConnection()) {
            Channel channel = connection.createChannel();
            channel.exchangeDeclare(EXCHANGE_NAME, BuiltinExchangeType.DIRECT);
            String queueName = channel.queueDeclare().getQueue();
            for (String severity : new String[] {"warning", "error"}) {
                channel.queueBind(queueName, EXCHANGE_NAME, severity);
            }
            List<String> got = new CopyOnWriteArrayList<>();
            DeliverCallback deliverCallback = (consumerTag, delivery) ->
                    got.add(delivery.getEnvelope().getRoutingKey() + ":"
                            + new String(delivery.getBody(), StandardCharsets.UTF_8));
            channel.basicConsume(queueName, true, deliverCallback, consumerTag -> { });
            for (String severity : new String[] {"info", "warning", "error"}) {
                channel.basicPublish(EXCHANGE_NAME, severity, null, "msg".getBytes(StandardCharsets.UTF_8));
            }
            long deadline = System.currentTimeMillis() + 10_000;
            while (got.size() < 2 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(100);
            if (!got.equals(List.of("warning:msg", "error:msg"))) {
                throw new IllegalStateException("got " + got);
            }
            channel.exchangeDelete(EXCHANGE_NAME);
        }
    }
}
