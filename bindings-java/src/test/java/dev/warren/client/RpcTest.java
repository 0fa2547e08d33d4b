package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** RpcClient (direct reply-to) against an RpcServer. */
class RpcTest {
    @Test
    void callsAreAnsweredThroughDirectReplyTo() throws Exception {
        try (Connection conn = Brokers.factory().newConnection()) {
            Channel serverChannel = conn.createChannel();
            String q = serverChannel.queueDeclare().getQueue();
            RpcServer server = new RpcServer(serverChannel, q) {
                @Override
                public byte[] handleCall(byte[] requestBody, AMQP.BasicProperties replyProperties) {
                    return ("echo:" + new String(requestBody, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                }
            };
            Thread serving = new Thread(() -> {
                try {
                    server.mainloop();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            serving.start();
            RpcClient client = new RpcClient(new RpcClientParams().channel(conn.createChannel()).exchange("")
                    .routingKey(q).timeout(5000));
            assertEquals("echo:one", client.stringCall("one"));
            assertEquals("echo:two", new String(client.primitiveCall("two".getBytes(StandardCharsets.UTF_8)),
                    StandardCharsets.UTF_8));
            client.close();
            server.close();
            serving.join(5000);
        }
    }
}
