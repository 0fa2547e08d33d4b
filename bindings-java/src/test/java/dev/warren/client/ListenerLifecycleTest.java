package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.warren.client.impl.ForgivingExceptionHandler;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Listener and consumer callbacks around closes, aborts, recover and cleared listeners, against
 * the broker under test.
 */
class ListenerLifecycleTest {
    @Test
    void abortClosesTheChannelAndTellsItsListenersAndConsumers() throws Exception {
        try (Connection conn = Brokers.factory().newConnection()) {
            Channel ch = conn.createChannel();
            BlockingQueue<ShutdownSignalException> signals = new LinkedBlockingQueue<>();
            ch.addShutdownListener(signals::add);
            String q = ch.queueDeclare().getQueue();
            BlockingQueue<ShutdownSignalException> consumerSignals = new LinkedBlockingQueue<>();
            ch.basicConsume(q, true, (t, d) -> { }, (t, sig) -> consumerSignals.add(sig));
            assertNull(ch.getCloseReason());
            ch.abort(AMQP.REPLY_SUCCESS, "aborted by the test");
            ShutdownSignalException sig = signals.poll(10, TimeUnit.SECONDS);
            assertNotNull(sig);
            assertTrue(sig.isInitiatedByApplication());
            assertFalse(sig.isHardError());
            assertEquals("aborted by the test", ((AMQP.Channel.Close) sig.getReason()).getReplyText());
            assertNotNull(consumerSignals.poll(10, TimeUnit.SECONDS), "the consumer heard the abort");
            assertFalse(ch.isOpen());
            assertEquals(sig, ch.getCloseReason());
            ch.abort();
            ch.close();
            assertThrows(java.io.IOException.class, () -> ch.basicCancel("no-such-consumer"));
            assertTrue(conn.isOpen());
        }
    }

    @Test
    void connectionListenersHearTheCloseOnceAndRemovedOnesNever() throws Exception {
        Connection conn = Brokers.factory().newConnection();
        AtomicInteger heard = new AtomicInteger();
        AtomicInteger removed = new AtomicInteger();
        ShutdownListener kept = sig -> heard.incrementAndGet();
        ShutdownListener gone = sig -> removed.incrementAndGet();
        conn.addShutdownListener(kept);
        conn.addShutdownListener(gone);
        conn.removeShutdownListener(gone);
        Channel ch = conn.createChannel();
        BlockingQueue<ShutdownSignalException> chSignals = new LinkedBlockingQueue<>();
        ch.addShutdownListener(chSignals::add);
        conn.close(AMQP.REPLY_SUCCESS, "bye");
        assertEquals(1, heard.get());
        assertEquals(0, removed.get());
        ShutdownSignalException reason = conn.getCloseReason();
        assertNotNull(reason);
        assertTrue(reason.isHardError() && reason.isInitiatedByApplication());
        assertEquals("bye", ((AMQP.Connection.Close) reason.getReason()).getReplyText());
        ShutdownSignalException chSig = chSignals.poll(10, TimeUnit.SECONDS);
        assertNotNull(chSig);
        assertTrue(chSig.isHardError(), "a channel ended by its connection gets the connection's signal");
        conn.close();
        conn.abort();
        assertEquals(1, heard.get(), "one shutdown, one call");
        CountDownLatch late = new CountDownLatch(1);
        conn.addShutdownListener(sig -> late.countDown());
        assertTrue(late.await(5, TimeUnit.SECONDS), "a listener added after the close is called at once");
    }

    @Test
    void consumerTagsAreCheckedOnTheClientAsTheOfficialClientDoes() throws Exception {
        try (Connection conn = Brokers.factory().newConnection()) {
            Channel ch = conn.createChannel();
            String q = ch.queueDeclare().getQueue();
            ch.basicConsume(q, true, "taken", (t, d) -> { }, t -> { });
            IllegalStateException dup = assertThrows(IllegalStateException.class,
                    () -> ch.basicConsume(q, true, "taken", (t, d) -> { }, t -> { }));
            assertEquals("Consumer tag 'taken' is already in use on channel " + ch.getChannelNumber(),
                    dup.getMessage());
            java.io.IOException unknown = assertThrows(java.io.IOException.class, () -> ch.basicCancel("unknown"));
            assertEquals("Unknown consumerTag", unknown.getMessage());
            assertTrue(ch.isOpen(), "neither reached the broker");
            ch.basicCancel("taken");
        }
    }

    @Test
    void basicRecoverCallsHandleRecoverOkOnEveryConsumer() throws Exception {
        try (Connection conn = Brokers.factory().newConnection()) {
            Channel ch = conn.createChannel();
            String q = ch.queueDeclare().getQueue();
            BlockingQueue<String> recovered = new LinkedBlockingQueue<>();
            for (int i = 0; i < 2; i++) {
                ch.basicConsume(q, false, new DefaultConsumer(ch) {
                    @Override
                    public void handleRecoverOk(String consumerTag) {
                        recovered.add(consumerTag);
                    }
                });
            }
            ch.basicRecover(true);
            assertNotNull(recovered.poll(10, TimeUnit.SECONDS));
            assertNotNull(recovered.poll(10, TimeUnit.SECONDS));
            assertTrue(ch.isOpen());
        }
    }

    @Test
    void clearedReturnListenersHearNothing() throws Exception {
        ConnectionFactory f = Brokers.factory();
        f.setExceptionHandler(new ForgivingExceptionHandler());
        try (Connection conn = f.newConnection()) {
            Channel ch = conn.createChannel();
            BlockingQueue<Return> first = new LinkedBlockingQueue<>();
            ch.addReturnListener(first::add);
            ch.basicPublish("", Brokers.unique("nowhere"), true, null, new byte[] {1});
            Return r = first.poll(10, TimeUnit.SECONDS);
            assertNotNull(r);
            assertEquals(AMQP.NO_ROUTE, r.getReplyCode());
            ch.clearReturnListeners();
            BlockingQueue<Return> second = new LinkedBlockingQueue<>();
            ReturnListener l = ch.addReturnListener(second::add);
            assertTrue(ch.removeReturnListener(l));
            ch.basicPublish("", Brokers.unique("nowhere"), true, null, new byte[] {2});
            // A publish that is routed, confirmed after the return would be: the return has come by then.
            ch.confirmSelect();
            String q = ch.queueDeclare().getQueue();
            ch.basicPublish("", q, true, null, new byte[] {3});
            assertTrue(ch.waitForConfirms(10000));
            Thread.sleep(200);
            assertTrue(first.isEmpty() && second.isEmpty(), "no listener left to hear the second return");
        }
    }
}
