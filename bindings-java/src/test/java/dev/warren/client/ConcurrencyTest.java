package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.warren.client.impl.DefaultExceptionHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Threads, blocking callbacks and throwing callbacks. */
class ConcurrencyTest {
    @Test
    void manyThreadsPublishOnOneChannel() throws Exception {
        int threads = 8;
        int each = 2000;
        try (Connection conn = Brokers.factory().newConnection()) {
            Channel ch = conn.createChannel();
            String q = ch.queueDeclare().getQueue();
            ch.confirmSelect();
            Set<String> seen = ConcurrentHashMap.newKeySet();
            CountDownLatch all = new CountDownLatch(threads * each);
            Channel consumer = conn.createChannel();
            consumer.basicConsume(q, true, (t, d) -> {
                seen.add(new String(d.getBody(), StandardCharsets.UTF_8));
                all.countDown();
            }, t -> { });
            List<Thread> publishers = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int i = 0; i < threads; i++) {
                int id = i;
                Thread t = new Thread(() -> {
                    try {
                        for (int j = 0; j < each; j++) {
                            ch.basicPublish("", q, null, (id + ":" + j).getBytes(StandardCharsets.UTF_8));
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                publishers.add(t);
                t.start();
            }
            for (Thread t : publishers) {
                t.join();
            }
            assertNull(failure.get());
            assertTrue(ch.waitForConfirms(30_000));
            assertTrue(all.await(60, TimeUnit.SECONDS), "received " + seen.size());
            assertEquals(threads * each, seen.size());
        }
    }

    @Test
    void aCallbackBlockingForThreeHeartbeatIntervalsKeepsTheConnection() throws Exception {
        ConnectionFactory f = Brokers.factory();
        f.setRequestedHeartbeat(1);
        try (Connection conn = f.newConnection()) {
            assertEquals(1, conn.getHeartbeat());
            Channel ch = conn.createChannel();
            String q = ch.queueDeclare().getQueue();
            CountDownLatch second = new CountDownLatch(2);
            AtomicInteger calls = new AtomicInteger();
            ch.basicConsume(q, false, (t, d) -> {
                if (calls.incrementAndGet() == 1) {
                    try {
                        Thread.sleep(3500);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
                second.countDown();
            }, t -> { });
            ch.basicPublish("", q, null, "slow".getBytes(StandardCharsets.UTF_8));
            ch.basicPublish("", q, null, "next".getBytes(StandardCharsets.UTF_8));
            assertTrue(second.await(15, TimeUnit.SECONDS));
            assertTrue(conn.isOpen());
            assertTrue(ch.isOpen());
            assertNull(conn.getCloseReason());
        }
    }

    @Test
    void anExceptionFromACallbackIsReportedAndConsumingGoesOn() throws Exception {
        List<String> reported = new ArrayList<>();
        ConnectionFactory f = Brokers.factory();
        f.setExceptionHandler(new DefaultExceptionHandler() {
            @Override
            public void handleConsumerException(Channel channel, Throwable exception, Consumer consumer,
                                                String consumerTag, String methodName) {
                synchronized (reported) {
                    reported.add(methodName + ":" + exception.getMessage());
                }
            }
        });
        try (Connection conn = f.newConnection()) {
            Channel ch = conn.createChannel();
            String q = ch.queueDeclare().getQueue();
            CountDownLatch good = new CountDownLatch(1);
            ch.basicConsume(q, true, (t, d) -> {
                String body = new String(d.getBody(), StandardCharsets.UTF_8);
                if (body.equals("boom")) {
                    throw new IllegalStateException("boom");
                }
                good.countDown();
            }, t -> { });
            ch.basicPublish("", q, null, "boom".getBytes(StandardCharsets.UTF_8));
            ch.basicPublish("", q, null, "fine".getBytes(StandardCharsets.UTF_8));
            assertTrue(good.await(5, TimeUnit.SECONDS));
            assertTrue(ch.isOpen());
            assertTrue(conn.isOpen());
            synchronized (reported) {
                assertEquals(List.of("handleDelivery:boom"), reported);
            }
        }
    }

    @Test
    void confirmListenersAndReturnListenersThatThrowAreReported() throws Exception {
        AtomicInteger confirmErrors = new AtomicInteger();
        ConnectionFactory f = Brokers.factory();
        f.setExceptionHandler(new DefaultExceptionHandler() {
            @Override
            public void handleConfirmListenerException(Channel channel, Throwable exception) {
                confirmErrors.incrementAndGet();
            }
        });
        try (Connection conn = f.newConnection()) {
            Channel ch = conn.createChannel();
            String q = ch.queueDeclare().getQueue();
            ch.confirmSelect();
            ch.addConfirmListener((seq, m) -> {
                throw new IllegalStateException("listener fails");
            }, (seq, m) -> { });
            ch.basicPublish("", q, null, new byte[1]);
            assertTrue(ch.waitForConfirms(5000));
            for (int i = 0; i < 100 && confirmErrors.get() == 0; i++) {
                Thread.sleep(20);
            }
            assertTrue(confirmErrors.get() > 0);
            ch.basicPublish("", q, null, new byte[1]);
            assertTrue(ch.waitForConfirms(5000));
            assertNotNull(ch.basicGet(q, true));
        }
    }
}
