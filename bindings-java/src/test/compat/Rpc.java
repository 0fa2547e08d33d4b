import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

public class Rpc {
    private static int fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    public static void main(String[] argv) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(argv[0]);
        String requestQueueName = "rpc_queue_compat_" + System.nanoTime();
        try (Connection serverConnection = factory.newConnection();
             Connection clientConnection = factory.newConnection()) {
            Channel server = serverConnection.createChannel();
            server.queueDeclare(requestQueueName, false, false, true, null);
            server.basicQos(1);
            DeliverCallback serve = (consumerTag, delivery) -> {
                AMQP.BasicProperties replyProps = new AMQP.BasicProperties.Builder()
                        .correlationId(delivery.getProperties().getCorrelationId()).build();
                int n = Integer.parseInt(new String(delivery.getBody(), StandardCharsets.UTF_8));
                String response = "" + fib(n);
                server.basicPublish("", delivery.getProperties().getReplyTo(), replyProps,
                        response.getBytes(StandardCharsets.UTF_8));
                server.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
            };
            server.basicConsume(requestQueueName, false, serve, consumerTag -> { });

            Channel client = clientConnection.createChannel();
            for (int i = 0; i < 10; i++) {
                final String corrId = UUID.randomUUID().toString();
                String replyQueueName = client.queueDeclare().getQueue();
                AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                        .correlationId(corrId).replyTo(replyQueueName).build();
                client.basicPublish("", requestQueueName, props, String.valueOf(i).getBytes(StandardCharsets.UTF_8));
                final CompletableFuture<String> response = new CompletableFuture<>();
                String ctag = client.basicConsume(replyQueueName, true, (consumerTag, delivery) -> {
                    if (delivery.getProperties().getCorrelationId().equals(corrId)) {
                        response.complete(new String(delivery.getBody(), StandardCharsets.UTF_8));
                    }
                }, consumerTag -> { });
                String result = response.get(10, TimeUnit.SECONDS);
                client.basicCancel(ctag);
                if (!result.equals(String.valueOf(fib(i)))) {
                    throw new IllegalStateException("fib(" + i + ") = " + result);
                }
            }
        }
    }
}
