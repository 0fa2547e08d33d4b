import dev.warren.client.AMQP;
import dev.warren.client.Channel;
import dev.warren.client.Connection;
import dev.warren.client.ConnectionFactory;
import dev.warren.client.RpcClient;
import dev.warren.client.RpcClientParams;
import dev.warren.client.RpcServer;
import java.nio.charset.StandardCharsets;

/**
 * RPC: a server on a queue answers each request to its reply_to with its correlation_id; the
 * client calls over direct reply-to and waits for each answer.
 */
public class Rpc {
    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 ? args[0] : "amqp://guest:guest@127.0.0.1:5672/%2f";
        int calls = 10;
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        try (Connection server = factory.newConnection("rpc-server");
             Connection client = factory.newConnection("rpc-client")) {
            Channel serverChannel = server.createChannel();
            String queue = serverChannel.queueDeclare("rpc-java-example", false, false, true, null).getQueue();
            RpcServer rpcServer = new RpcServer(serverChannel, queue) {
                @Override
                public byte[] handleCall(byte[] body, AMQP.BasicProperties replyProperties) {
                    int n = Integer.parseInt(new String(body, StandardCharsets.UTF_8));
                    return String.valueOf(n * n).getBytes(StandardCharsets.UTF_8);
                }
            };
            Thread serving = new Thread(() -> {
                try {
                    rpcServer.mainloop();
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }, "rpc-server");
            serving.start();

            RpcClient rpcClient = new RpcClient(new RpcClientParams()
                    .channel(client.createChannel()).exchange("").routingKey(queue).timeout(5000));
            for (int i = 1; i <= calls; i++) {
                String answer = rpcClient.stringCall(String.valueOf(i));
                if (!answer.equals(String.valueOf(i * i))) {
                    System.out.println("rpc: FAILED: " + i + " squared came back as " + answer);
                    System.exit(1);
                }
            }
            rpcClient.close();
            rpcServer.close();
            serving.join(5000);
            System.out.println("OK: " + calls + " calls answered over direct reply-to");
        }
    }
}
