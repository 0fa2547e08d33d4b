import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Address;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Edge cases an application can run into, each printed as one line: what the call returned or
 * which exception it threw (with its cause and the close method). ParityTest runs this with the
 * official client and with Warren against the same broker and requires the same lines.
 */
public class EdgeCases {
    interface Step {
        Object run() throws Exception;
    }

    static void step(PrintStream out, String name, Step s) {
        String result;
        try {
            result = "ok " + s.run();
        } catch (Exception e) {
            Throwable c = e.getCause();
            result = "threw " + e.getClass().getSimpleName() + (c != null ? " cause " + c.getClass().getSimpleName() : "");
            ShutdownSignalException sig = e instanceof ShutdownSignalException ? (ShutdownSignalException) e
                    : c instanceof ShutdownSignalException ? (ShutdownSignalException) c : null;
            if (sig != null && sig.getReason() != null) {
                result += " reason " + sig.getReason().protocolMethodName() + " hard=" + sig.isHardError();
            }
        }
        out.println(name + ": " + result);
    }

    static GetResponse get(Channel ch, String q, boolean autoAck) throws Exception {
        for (int i = 0; i < 100; i++) {
            GetResponse r = ch.basicGet(q, autoAck);
            if (r != null) {
                return r;
            }
            Thread.sleep(20);
        }
        return null;
    }

    public static void main(String[] argv) throws Exception {
        PrintStream out = System.out;
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(argv[0]);
        f.setAutomaticRecoveryEnabled(false);
        Connection first = f.newConnection();
        Channel c0 = first.createChannel();
        String q0 = c0.queueDeclare().getQueue();
        step(out, "waitForConfirms outside confirm mode", () -> c0.waitForConfirms());
        step(out, "next publish seq no outside confirm mode", () -> c0.getNextPublishSeqNo());
        step(out, "basicGet on an empty queue", () -> c0.basicGet(q0, true));
        step(out, "passive declare", () -> {
            AMQP.Queue.DeclareOk ok = c0.queueDeclarePassive(q0);
            return ok.getMessageCount() + " " + ok.getConsumerCount() + " " + ok.protocolMethodName();
        });
        step(out, "purge", () -> c0.queuePurge(q0).getMessageCount());
        step(out, "delete counts messages", () -> {
            String q = c0.queueDeclare().getQueue();
            c0.basicPublish("", q, null, new byte[1]);
            get(c0, q, false);
            c0.basicRecover(true);
            Thread.sleep(100);
            return c0.queueDelete(q).getMessageCount();
        });
        step(out, "unknown exchange type", () -> first.createChannel().exchangeDeclare("parity-" + System.nanoTime(),
                "no-such-type"));
        step(out, "connection open after a connection error", () -> first.isOpen());
        step(out, "its other channel soon after", () -> {
            for (int i = 0; i < 100 && c0.isOpen(); i++) {
                Thread.sleep(20);
            }
            return c0.isOpen();
        });
        step(out, "channel on a closed connection", () -> first.createChannel());

        Connection conn = f.newConnection();
        Channel ch = conn.createChannel();
        String q = ch.queueDeclare().getQueue();
        step(out, "cancel an unknown consumer tag", () -> {
            Channel c = conn.createChannel();
            c.basicCancel("no-such-tag");
            return c.isOpen();
        });
        step(out, "ack an unknown delivery tag", () -> {
            Channel c = conn.createChannel();
            c.basicAck(42, false);
            Thread.sleep(300);
            return c.isOpen() + " " + c.getCloseReason().getReason().protocolMethodName();
        });
        step(out, "publish to a missing exchange", () -> {
            Channel c = conn.createChannel();
            c.basicPublish("parity-missing-" + System.nanoTime(), "", null, new byte[0]);
            Thread.sleep(300);
            return c.isOpen() + " " + ((AMQP.Channel.Close) c.getCloseReason().getReason()).getReplyCode();
        });
        step(out, "redeclare with other flags", () -> {
            Channel c = conn.createChannel();
            String n = "parity-q-" + System.nanoTime();
            c.queueDeclare(n, false, false, true, null);
            return c.queueDeclare(n, true, false, true, null);
        });
        step(out, "openChannel", () -> conn.openChannel().isPresent());
        step(out, "duplicate consumer tag", () -> {
            Channel c = conn.createChannel();
            String qq = c.queueDeclare().getQueue();
            c.basicConsume(qq, true, "dup", (a, b) -> { }, a -> { });
            return c.basicConsume(qq, true, "dup", (a, b) -> { }, a -> { });
        });
        step(out, "consume from a missing queue", () -> conn.createChannel().basicConsume(
                "parity-missing-" + System.nanoTime(), true, (a, b) -> { }, a -> { }));
        step(out, "get from a missing queue", () -> conn.createChannel().basicGet("parity-missing-" + System.nanoTime(),
                true));
        step(out, "publish on a closed channel", () -> {
            Channel c = conn.createChannel();
            c.close();
            c.basicPublish("", q, null, new byte[0]);
            return null;
        });
        step(out, "tx.commit without tx.select", () -> conn.createChannel().txCommit());
        step(out, "tx.select in confirm mode", () -> {
            Channel c = conn.createChannel();
            c.confirmSelect();
            return c.txSelect();
        });
        step(out, "tuning", () -> conn.getHeartbeat() + " " + (conn.getFrameMax() > 0) + " " + (conn.getChannelMax() > 0));
        step(out, "properties toString", () -> new AMQP.BasicProperties.Builder().contentType("text/plain")
                .deliveryMode(2).priority(1).build().toString());
        step(out, "envelope toString", () -> new Envelope(1, false, "x", "rk").toString());
        step(out, "persistent basic", () -> MessageProperties.PERSISTENT_BASIC.getDeliveryMode());
        step(out, "parse addresses", () -> Arrays.toString(Address.parseAddresses("h1:1234,h2")));
        step(out, "return", () -> {
            BlockingQueue<Return> returns = new LinkedBlockingQueue<>();
            ch.addReturnListener(returns::add);
            ch.basicPublish("amq.direct", "nowhere", true, new AMQP.BasicProperties.Builder().messageId("m1").build(),
                    "x".getBytes("UTF-8"));
            Return r = returns.poll(5, TimeUnit.SECONDS);
            return r.getReplyCode() + " " + r.getReplyText() + " " + r.getExchange() + " " + r.getRoutingKey() + " "
                    + r.getProperties().getMessageId() + " " + new String(r.getBody(), "UTF-8");
        });
        step(out, "confirm sequence numbers", () -> {
            Channel c = conn.createChannel();
            c.confirmSelect();
            List<String> acks = Collections.synchronizedList(new ArrayList<>());
            c.addConfirmListener((tag, multiple) -> acks.add("ack"), (tag, multiple) -> acks.add("nack"));
            String qq = c.queueDeclare().getQueue();
            long firstSeq = c.getNextPublishSeqNo();
            for (int i = 0; i < 3; i++) {
                c.basicPublish("", qq, null, new byte[1]);
            }
            c.waitForConfirmsOrDie(5000);
            return firstSeq + " " + c.getNextPublishSeqNo() + " " + c.waitForConfirms(100);
        });
        step(out, "reject with requeue, then nack", () -> {
            String qq = ch.queueDeclare().getQueue();
            ch.basicPublish("", qq, null, "r".getBytes("UTF-8"));
            GetResponse g = get(ch, qq, false);
            ch.basicReject(g.getEnvelope().getDeliveryTag(), true);
            GetResponse g2 = get(ch, qq, false);
            ch.basicNack(g2.getEnvelope().getDeliveryTag(), false, false);
            return g.getEnvelope().isRedeliver() + " " + g2.getEnvelope().isRedeliver() + " " + g.getMessageCount()
                    + " " + ch.messageCount(qq);
        });
        step(out, "message count of basicGet", () -> {
            String qq = ch.queueDeclare().getQueue();
            for (int i = 0; i < 3; i++) {
                ch.basicPublish("", qq, null, new byte[1]);
            }
            Thread.sleep(100);
            return ch.basicGet(qq, true).getMessageCount();
        });
        step(out, "exclusive queue from another connection", () -> {
            String qq = ch.queueDeclare("parity-excl-" + System.nanoTime(), false, true, true, null).getQueue();
            try (Connection other = f.newConnection()) {
                return other.createChannel().queueDeclarePassive(qq);
            }
        });
        step(out, "per-queue TTL", () -> {
            Map<String, Object> args = new HashMap<>();
            args.put("x-message-ttl", 50);
            String qq = ch.queueDeclare("", false, true, true, args).getQueue();
            ch.basicPublish("", qq, null, new byte[1]);
            Thread.sleep(300);
            return ch.basicGet(qq, true);
        });
        step(out, "properties round trip", () -> {
            String qq = ch.queueDeclare().getQueue();
            Map<String, Object> h = new HashMap<>();
            h.put("n", 1);
            h.put("s", "str");
            h.put("l", Arrays.asList(1, "a"));
            h.put("b", true);
            AMQP.BasicProperties p = new AMQP.BasicProperties.Builder().headers(h).contentType("a/b")
                    .expiration("60000").timestamp(new Date(1700000000000L)).priority(3).deliveryMode(2)
                    .userId("guest").appId("parity").type("t").correlationId("c").replyTo("r").build();
            ch.basicPublish("", qq, p, new byte[0]);
            AMQP.BasicProperties g = get(ch, qq, true).getProps();
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<String, Object> e : new TreeMap<>(g.getHeaders()).entrySet()) {
                sb.append(e.getKey()).append('=').append(e.getValue()).append(' ');
            }
            return sb.toString() + g.getTimestamp().getTime() + " " + g.getExpiration() + " " + g.getUserId() + " "
                    + g.getPriority() + " " + g.getCorrelationId() + " " + g.getReplyTo() + " " + g.getType();
        });
        step(out, "publish with another user id", () -> {
            Channel c = conn.createChannel();
            c.basicPublish("", "x", new AMQP.BasicProperties.Builder().userId("mallory").build(), new byte[0]);
            Thread.sleep(300);
            return c.isOpen() + " " + ((AMQP.Channel.Close) c.getCloseReason().getReason()).getReplyCode();
        });
        conn.close();
        step(out, "channel after close", () -> conn.createChannel());
        step(out, "refused connection", () -> {
            ConnectionFactory g = new ConnectionFactory();
            g.setPort(1);
            return g.newConnection();
        });
        step(out, "unknown virtual host", () -> {
            ConnectionFactory g = f.clone();
            g.setVirtualHost("parity-no-such-vhost");
            return g.newConnection();
        });
        step(out, "wrong password", () -> {
            ConnectionFactory g = f.clone();
            g.setPassword("not-the-password");
            return g.newConnection();
        });
    }
}
