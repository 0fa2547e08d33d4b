package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Automatic recovery after warren-broker is killed with SIGKILL and started again: the
 * consumer goes on and the RecoveryListener is called. Runs where the build says which
 * warren-broker binary to start ({@code warren.test.brokerCommand}).
 */
class RecoveryTest {
    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("warren-broker did not listen on " + port);
    }

    private static Process start(String command, int port, Path dataDir) throws Exception {
        Process p = new ProcessBuilder(command, "--listen", "127.0.0.1:" + port, "--data-dir", dataDir.toString())
                .redirectErrorStream(true).redirectOutput(new File(dataDir.toFile(), "broker.log")).start();
        awaitPort(port);
        return p;
    }

    @Test
    void consumersContinueAfterTheBrokerIsKilledAndRestarted() throws Exception {
        String command = System.getProperty("warren.test.brokerCommand", "");
        assumeTrue(Brokers.isWarren() && !command.isEmpty(),
                "runs in the warren-broker round, given its binary (warren.test.brokerCommand)");
        int port = freePort();
        Path dataDir = Files.createTempDirectory("warren-java-recovery");
        Process broker = start(command, port, dataDir);
        try {
            ConnectionFactory f = new ConnectionFactory();
            f.setUri("amqp://guest:guest@127.0.0.1:" + port + "/%2f");
            f.setNetworkRecoveryInterval(200);
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch recovered = new CountDownLatch(1);
            Connection conn = f.newConnection();
            try {
                ((Recoverable) conn).addRecoveryListener(new RecoveryListener() {
                    @Override
                    public void handleRecovery(Recoverable recoverable) {
                        recovered.countDown();
                    }

                    @Override
                    public void handleRecoveryStarted(Recoverable recoverable) {
                        started.countDown();
                    }
                });
                // As with the official AutorecoveringConnection: the loss reaches the
                // connection's and channels' shutdown listeners and the consumers, and the
                // connection is not open until it is recovered.
                BlockingQueue<String> connSignals = new LinkedBlockingQueue<>();
                conn.addShutdownListener(sig -> connSignals.add(sig.isHardError() + " "
                        + sig.isInitiatedByApplication() + " " + conn.isOpen()));
                Channel ch = conn.createChannel();
                BlockingQueue<String> chSignals = new LinkedBlockingQueue<>();
                ch.addShutdownListener(sig -> chSignals.add(sig.isHardError() + " " + sig.isInitiatedByApplication()
                        + " " + ch.isOpen()));
                String q = "java-recovery-" + port;
                ch.queueDeclare(q, true, false, false, null);
                Set<String> seen = ConcurrentHashMap.newKeySet();
                BlockingQueue<String> consumerEvents = new LinkedBlockingQueue<>();
                ch.basicConsume(q, false, "recovering", new DefaultConsumer(ch) {
                    @Override
                    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties,
                                               byte[] body) throws java.io.IOException {
                        seen.add(new String(body, StandardCharsets.UTF_8));
                        ch.basicAck(envelope.getDeliveryTag(), false);
                    }

                    @Override
                    public void handleShutdownSignal(String tag, ShutdownSignalException sig) {
                        consumerEvents.add("shutdown " + sig.isHardError() + " " + sig.isInitiatedByApplication());
                    }

                    @Override
                    public void handleConsumeOk(String tag) {
                        consumerEvents.add("consume-ok " + tag);
                    }
                });
                assertEquals("consume-ok recovering", consumerEvents.poll(10, TimeUnit.SECONDS));
                for (int i = 0; i < 10; i++) {
                    ch.basicPublish("", q, null, ("before-" + i).getBytes(StandardCharsets.UTF_8));
                }
                waitFor(() -> seen.size() == 10);

                broker.destroyForcibly().waitFor();
                broker = start(command, port, dataDir);

                assertTrue(started.await(30, TimeUnit.SECONDS), "recovery never started");
                assertEquals("true false false", connSignals.poll(30, TimeUnit.SECONDS),
                        "the connection's listener hears the loss (hard, not by the app, not open)");
                assertEquals("true false false", chSignals.poll(30, TimeUnit.SECONDS),
                        "the channel's listener hears the loss");
                assertTrue(recovered.await(30, TimeUnit.SECONDS), "recovery never finished");
                assertEquals("shutdown true false", consumerEvents.poll(10, TimeUnit.SECONDS),
                        "the consumer got handleShutdownSignal");
                assertEquals("consume-ok recovering", consumerEvents.poll(10, TimeUnit.SECONDS),
                        "the consumer got handleConsumeOk again after recovery");
                assertTrue(conn.isOpen() && ch.isOpen(), "open again");
                assertNull(conn.getCloseReason(), "no close reason after recovery");
                assertNull(ch.getCloseReason(), "no close reason after recovery");
                for (int i = 0; i < 10; i++) {
                    ch.basicPublish("", q, null, ("after-" + i).getBytes(StandardCharsets.UTF_8));
                }
                waitFor(() -> seen.size() == 20);
                assertEquals(20, seen.size());
                assertTrue(conn.isOpen());
                assertTrue(connSignals.isEmpty() && chSignals.isEmpty(), "one loss, one call each");
                conn.close();
                assertEquals("true true false", connSignals.poll(10, TimeUnit.SECONDS),
                        "the same listener hears the final close, by the app");
                assertEquals("true true false", chSignals.poll(10, TimeUnit.SECONDS));
            } finally {
                conn.abort();
            }
        } finally {
            broker.destroyForcibly().waitFor();
        }
    }

    /** @return true if rabbitmqctl answers (the RabbitMQ round on this machine) */
    private static boolean rabbitmqctlWorks() {
        try {
            Process p = new ProcessBuilder("rabbitmqctl", "-q", "status").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void aConnectionForceClosedByRabbitMqIsRecoveredAndItsListenersHearIt() throws Exception {
        assumeTrue(!Brokers.isWarren() && rabbitmqctlWorks(), "runs in the RabbitMQ round, with rabbitmqctl");
        ConnectionFactory f = Brokers.factory();
        f.setNetworkRecoveryInterval(200);
        String name = Brokers.unique("forced");
        Connection conn = f.newConnection(name);
        try {
            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            conn.addShutdownListener(sig -> events.add("connection " + sig.isHardError() + " "
                    + sig.isInitiatedByApplication() + " " + ((AMQP.Connection.Close) sig.getReason()).getReplyCode()));
            ((Recoverable) conn).addRecoveryListener(new RecoveryListener() {
                @Override
                public void handleRecovery(Recoverable recoverable) {
                    events.add("recovered");
                }

                @Override
                public void handleRecoveryStarted(Recoverable recoverable) {
                    events.add("started");
                }
            });
            Channel ch = conn.createChannel();
            ch.addShutdownListener(sig -> events.add("channel " + sig.isHardError() + " "
                    + sig.isInitiatedByApplication()));
            String q = ch.queueDeclare(Brokers.unique("forced-q"), false, false, true, null).getQueue();
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            ch.basicConsume(q, true, (t, d) -> got.add(new String(d.getBody(), StandardCharsets.UTF_8)), t -> { });
            String script = "rabbitmqctl close_connection \"$(rabbitmqctl -q list_connections pid client_properties"
                    + " | grep '" + name + "' | cut -f1)\" 'forced by the test'";
            Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "rabbitmqctl close_connection");
            assertEquals("channel true false", events.poll(30, TimeUnit.SECONDS));
            assertEquals("connection true false 320", events.poll(30, TimeUnit.SECONDS));
            assertEquals("started", events.poll(30, TimeUnit.SECONDS));
            assertEquals("recovered", events.poll(30, TimeUnit.SECONDS));
            assertTrue(conn.isOpen() && ch.isOpen());
            ch.basicPublish("", q, null, "after".getBytes(StandardCharsets.UTF_8));
            assertEquals("after", got.poll(10, TimeUnit.SECONDS), "the recovered consumer gets messages");
        } finally {
            conn.abort();
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met in 20 s");
            }
            Thread.sleep(20);
        }
    }
}
