import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmCallback;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.UUID;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

public class PublisherConfirms {
    static final int MESSAGE_COUNT = 2_000;

    public static void main(String[] argv) throws Exception {
        ConnectionFactory cf = new ConnectionFactory();
        cf.setUri(argv[0]);
        try (Connection connection = cf.newConnection()) {
            individually(connection);
            inBatches(connection);
            asynchronously(connection);
        }
    }

    static void individually(Connection connection) throws Exception {
        Channel ch = connection.createChannel();
        String queue = UUID.randomUUID().toString();
        ch.queueDeclare(queue, false, false, true, null);
        ch.confirmSelect();
        for (int i = 0; i < 200; i++) {
            ch.basicPublish("", queue, null, String.valueOf(i).getBytes());
            ch.waitForConfirmsOrDie(5_000);
        }
        ch.queueDelete(queue);
    }

    static void inBatches(Connection connection) throws Exception {
        Channel ch = connection.createChannel();
        String queue = UUID.randomUUID().toString();
        ch.queueDeclare(queue, false, false, true, null);
        ch.confirmSelect();
        int outstanding = 0;
        for (int i = 0; i < MESSAGE_COUNT; i++) {
            ch.basicPublish("", queue, null, String.valueOf(i).getBytes());
            if (++outstanding == 100) {
                ch.waitForConfirmsOrDie(5_000);
                outstanding = 0;
            }
        }
        ch.waitForConfirmsOrDie(5_000);
        if (ch.messageCount(queue) != MESSAGE_COUNT) {
            throw new IllegalStateException("queue has " + ch.messageCount(queue));
        }
        ch.queueDelete(queue);
    }

    static void asynchronously(Connection connection) throws Exception {
        Channel ch = connection.createChannel();
        String queue = UUID.randomUUID().toString();
        ch.queueDeclare(queue, false, false, true, null);
        ch.confirmSelect();
        ConcurrentNavigableMap<Long, String> outstandingConfirms = new ConcurrentSkipListMap<>();
        ConfirmCallback cleanOutstandingConfirms = (sequenceNumber, multiple) -> {
            if (multiple) {
                outstandingConfirms.headMap(sequenceNumber, true).clear();
            } else {
                outstandingConfirms.remove(sequenceNumber);
            }
        };
        ch.addConfirmListener(cleanOutstandingConfirms, (sequenceNumber, multiple) -> {
            throw new IllegalStateException("nacked " + sequenceNumber);
        });
        for (int i = 0; i < MESSAGE_COUNT; i++) {
            String body = String.valueOf(i);
            outstandingConfirms.put(ch.getNextPublishSeqNo(), body);
            ch.basicPublish("", queue, null, body.getBytes());
        }
        long deadline = System.currentTimeMillis() + 30_000;
        while (!outstandingConfirms.isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        if (!outstandingConfirms.isEmpty()) {
            throw new IllegalStateException(outstandingConfirms.size() + " publishes never confirmed");
        }
        ch.queueDelete(queue);
    }
}
