import dev.warren.client.BuiltinExchangeType;
import dev.warren.client.Channel;
import dev.warren.client.Connection;
import dev.warren.client.ConnectionFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Distributed logging (the talk's third scenario): a topic exchange logs, routing keys
 * server.module.action.level, listeners on exclusive queues bound server1.# and #.error.
 */
public class DistributedLogging {
    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 ? args[0] : "amqp://guest:guest@127.0.0.1:5672/%2f";
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        try (Connection conn = factory.newConnection("distributed-logging")) {
            Channel ch = conn.createChannel();
            ch.exchangeDeclare("logs", BuiltinExchangeType.TOPIC);
            Map<String, List<String>> heard = new TreeMap<>();
            for (String binding : List.of("server1.#", "#.error")) {
                String queue = ch.queueDeclare().getQueue();
                ch.queueBind(queue, "logs", binding);
                List<String> keys = Collections.synchronizedList(new ArrayList<>());
                heard.put(binding, keys);
                ch.basicConsume(queue, true, (tag, d) -> keys.add(d.getEnvelope().getRoutingKey()), tag -> { });
            }
            String[] keys = {
                "server1.user.profile.info", "server1.user.login.error", "server2.db.query.error",
                "server2.user.profile.info",
            };
            for (String key : keys) {
                ch.basicPublish("logs", key, null, ("log line for " + key).getBytes(StandardCharsets.UTF_8));
            }
            Map<String, List<String>> expected = Map.of(
                    "server1.#", List.of("server1.user.profile.info", "server1.user.login.error"),
                    "#.error", List.of("server1.user.login.error", "server2.db.query.error"));
            long deadline = System.currentTimeMillis() + 10_000;
            while (System.currentTimeMillis() < deadline && !heard.equals(expected)) {
                Thread.sleep(20);
            }
            if (!heard.equals(expected)) {
                System.out.println("distributed_logging: FAILED: heard " + heard);
                System.exit(1);
            }
            ch.exchangeDelete("logs");
            System.out.println("OK: listeners heard " + heard);
        }
    }
}
