package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every Channel method against the broker under test. */
class ChannelTest {
    private Connection conn;
    private Channel ch;

    @BeforeEach
    void open() throws Exception {
        conn = Brokers.factory().newConnection("java-channel-test");
        ch = conn.createChannel();
    }

    @AfterEach
    void close() throws Exception {
        conn.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private GetResponse getWithin(Channel c, String queue, boolean autoAck) throws Exception {
        for (int i = 0; i < 100; i++) {
            GetResponse r = c.basicGet(queue, autoAck);
            if (r != null) {
                return r;
            }
            Thread.sleep(20);
        }
        return null;
    }

    @Test
    void connectionBasics() throws Exception {
        assertTrue(conn.isOpen());
        assertTrue(ch.isOpen());
        assertTrue(ch.getChannelNumber() > 0);
        assertEquals(conn, ch.getConnection());
        Map<String, Object> server = conn.getServerProperties();
        assertNotNull(server.get("product"));
        assertInstanceOf(Map.class, server.get("capabilities"));
        assertTrue(conn.getFrameMax() >= 4096);
        assertEquals(5672 == conn.getPort() || conn.getPort() > 0, true);
        assertEquals("java-channel-test", conn.getClientProvidedName());
    }

    @Test
    void queueDeclareVariants() throws Exception {
        AMQP.Queue.DeclareOk anon = ch.queueDeclare();
        assertTrue(anon.getQueue().startsWith("amq.gen-"), anon.getQueue());
        assertEquals(0, anon.getMessageCount());
        String q = Brokers.unique("declare");
        AMQP.Queue.DeclareOk named = ch.queueDeclare(q, false, false, true, Map.of("x-max-length", 10));
        assertEquals(q, named.getQueue());
        ch.basicPublish("", q, null, utf8("one"));
        ch.basicPublish("", q, null, utf8("two"));
        Thread.sleep(100);
        AMQP.Queue.DeclareOk passive = ch.queueDeclarePassive(q);
        assertEquals(2, passive.getMessageCount());
        assertEquals(2, ch.messageCount(q));
        assertEquals(0, ch.consumerCount(q));
        assertEquals(2, ch.queuePurge(q).getMessageCount());
        ch.basicPublish("", q, null, utf8("three"));
        Thread.sleep(100);
        assertEquals(1, ch.queueDelete(q).getMessageCount());
        String nowait = Brokers.unique("nowait");
        ch.queueDeclareNoWait(nowait, false, false, true, null);
        assertEquals(nowait, ch.queueDeclarePassive(nowait).getQueue());
        ch.queueDeleteNoWait(nowait, false, false);
    }

    @Test
    void passiveDeclareOfAMissingQueueClosesTheChannelWith404() throws Exception {
        String missing = Brokers.unique("missing");
        IOException e = assertThrows(IOException.class, () -> ch.queueDeclarePassive(missing));
        ShutdownSignalException sse = assertInstanceOf(ShutdownSignalException.class, e.getCause());
        assertFalse(sse.isHardError());
        AMQP.Channel.Close close = assertInstanceOf(AMQP.Channel.Close.class, sse.getReason());
        assertEquals(404, close.getReplyCode());
        assertTrue(close.getReplyText().contains("NOT_FOUND"), close.getReplyText());
        assertEquals(50, close.getClassId());
        assertEquals(10, close.getMethodId());
        assertFalse(ch.isOpen());
        assertNotNull(ch.getCloseReason());
        assertThrows(AlreadyClosedException.class, () -> ch.basicPublish("", "x", null, new byte[0]));
        assertTrue(conn.isOpen(), "a channel error leaves the connection open");
        Channel again = conn.createChannel();
        assertTrue(again.isOpen());
    }

    @Test
    void exchangesDeclareBindUnbindDelete() throws Exception {
        String src = Brokers.unique("src");
        String dst = Brokers.unique("dst");
        String q = ch.queueDeclare().getQueue();
        assertNotNull(ch.exchangeDeclare(src, BuiltinExchangeType.TOPIC));
        ch.exchangeDeclare(dst, "fanout", false, true, null);
        ch.exchangeDeclare(Brokers.unique("b"), BuiltinExchangeType.DIRECT, false);
        ch.exchangeDeclare(Brokers.unique("c"), "direct", false);
        ch.exchangeDeclare(Brokers.unique("d"), BuiltinExchangeType.HEADERS, false, true, null);
        ch.exchangeDeclare(Brokers.unique("e"), BuiltinExchangeType.DIRECT, false, true, false, null);
        ch.exchangeDeclareNoWait(Brokers.unique("f"), BuiltinExchangeType.FANOUT, false, true, false, null);
        ch.exchangeDeclarePassive(src);
        ch.exchangeBind(dst, src, "a.*");
        ch.queueBind(q, dst, "");
        ch.basicPublish(src, "a.b", null, utf8("routed"));
        GetResponse r = getWithin(ch, q, true);
        assertNotNull(r);
        assertEquals("routed", new String(r.getBody(), StandardCharsets.UTF_8));
        assertEquals(src, r.getEnvelope().getExchange());
        assertEquals("a.b", r.getEnvelope().getRoutingKey());
        ch.exchangeUnbind(dst, src, "a.*");
        ch.basicPublish(src, "a.b", null, utf8("not routed"));
        Thread.sleep(150);
        assertNull(ch.basicGet(q, true));
        ch.queueUnbind(q, dst, "");
        ch.exchangeDelete(src);
        ch.exchangeDelete(dst, false);
        IOException e = assertThrows(IOException.class, () -> ch.exchangeDeclarePassive(src));
        assertEquals(404, ((AMQP.Channel.Close) ((ShutdownSignalException) e.getCause()).getReason()).getReplyCode());
    }

    @Test
    void getAckNackRejectRecover() throws Exception {
        String q = ch.queueDeclare().getQueue();
        for (int i = 0; i < 4; i++) {
            ch.basicPublish("", q, MessageProperties.PERSISTENT_TEXT_PLAIN, utf8("m" + i));
        }
        GetResponse first = getWithin(ch, q, false);
        assertNotNull(first);
        assertEquals("text/plain", first.getProps().getContentType());
        assertEquals(2, first.getProps().getDeliveryMode());
        assertEquals(3, first.getMessageCount());
        ch.basicAck(first.getEnvelope().getDeliveryTag(), false);
        GetResponse second = ch.basicGet(q, false);
        ch.basicReject(second.getEnvelope().getDeliveryTag(), true);
        GetResponse again = getWithin(ch, q, false);
        assertTrue(again.getEnvelope().isRedeliver());
        ch.basicNack(again.getEnvelope().getDeliveryTag(), false, false);
        GetResponse third = ch.basicGet(q, false);
        assertNotNull(third);
        ch.basicRecover(true);
        GetResponse redelivered = getWithin(ch, q, false);
        assertTrue(redelivered.getEnvelope().isRedeliver());
        ch.basicNack(redelivered.getEnvelope().getDeliveryTag(), true, false);
    }

    @Test
    void consumeWithCallbacksAndCancel() throws Exception {
        // Not auto-delete: the queue must outlive its only consumer's cancel.
        String q = ch.queueDeclare("", false, true, false, null).getQueue();
        ch.basicQos(10);
        ch.basicQos(10, false);
        ch.basicQos(0, 10, false);
        BlockingQueue<Delivery> got = new ArrayBlockingQueue<>(10);
        CountDownLatch cancelled = new CountDownLatch(1);
        String tag = ch.basicConsume(q, false, (t, d) -> got.add(d), t -> cancelled.countDown());
        assertTrue(tag.length() > 0);
        assertEquals(1, ch.consumerCount(q));
        ch.basicPublish("", q, null, utf8("hello"));
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        assertNotNull(d);
        assertEquals("hello", new String(d.getBody(), StandardCharsets.UTF_8));
        ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
        ch.basicCancel(tag);
        Thread.sleep(100);
        assertEquals(0, ch.consumerCount(q));
        assertEquals(1, cancelled.getCount(), "an application cancel is not a broker cancel");
    }

    @Test
    void defaultConsumerSeesConsumeOkDeliveriesAndCancelOkInOrder() throws Exception {
        String q = ch.queueDeclare().getQueue();
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(1);
        String tag = ch.basicConsume(q, true, "my-tag", new DefaultConsumer(ch) {
            @Override
            public void handleConsumeOk(String consumerTag) {
                super.handleConsumeOk(consumerTag);
                events.add("ok:" + consumerTag);
            }

            @Override
            public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                       byte[] body) {
                events.add("delivery:" + new String(body, StandardCharsets.UTF_8));
            }

            @Override
            public void handleCancelOk(String consumerTag) {
                events.add("cancel-ok");
                done.countDown();
            }
        });
        assertEquals("my-tag", tag);
        for (int i = 0; i < 3; i++) {
            ch.basicPublish("", q, null, utf8(String.valueOf(i)));
        }
        for (int i = 0; i < 100 && events.size() < 4; i++) {
            Thread.sleep(20);
        }
        ch.basicCancel(tag);
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertEquals(List.of("ok:my-tag", "delivery:0", "delivery:1", "delivery:2", "cancel-ok"), events);
    }

    @Test
    void brokerCancelCallsHandleCancel() throws Exception {
        String q = Brokers.unique("cancelled");
        ch.queueDeclare(q, false, false, false, null);
        CountDownLatch cancelled = new CountDownLatch(1);
        ch.basicConsume(q, true, (t, d) -> { }, t -> cancelled.countDown());
        Channel other = conn.createChannel();
        other.queueDelete(q);
        assertTrue(cancelled.await(5, TimeUnit.SECONDS));
    }

    @Test
    void closingTheChannelSignalsConsumersAndListeners() throws Exception {
        String q = ch.queueDeclare().getQueue();
        AtomicReference<ShutdownSignalException> consumerSignal = new AtomicReference<>();
        CountDownLatch signalled = new CountDownLatch(2);
        ch.basicConsume(q, true, (t, d) -> { }, (t, sig) -> {
            consumerSignal.set(sig);
            signalled.countDown();
        });
        ch.addShutdownListener(sig -> signalled.countDown());
        ch.close();
        ch.close();
        assertTrue(signalled.await(5, TimeUnit.SECONDS));
        assertTrue(consumerSignal.get().isInitiatedByApplication());
        assertFalse(ch.isOpen());
        assertThrows(AlreadyClosedException.class, () -> ch.queueDeclare());
    }

    @Test
    void confirmsWaitAndListeners() throws Exception {
        String q = ch.queueDeclare().getQueue();
        assertEquals(0, ch.getNextPublishSeqNo());
        assertThrows(IllegalStateException.class, () -> ch.waitForConfirms());
        ch.confirmSelect();
        assertEquals(1, ch.getNextPublishSeqNo());
        List<Long> acked = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(1);
        ch.addConfirmListener((seq, multiple) -> {
            acked.add(seq);
            if (seq >= 100) {
                all.countDown();
            }
        }, (seq, multiple) -> { });
        for (int i = 0; i < 100; i++) {
            ch.basicPublish("", q, null, utf8("c" + i));
        }
        assertEquals(101, ch.getNextPublishSeqNo());
        assertTrue(ch.waitForConfirms());
        assertTrue(ch.waitForConfirms(5000));
        ch.waitForConfirmsOrDie();
        ch.waitForConfirmsOrDie(5000);
        assertTrue(all.await(5, TimeUnit.SECONDS));
        assertFalse(acked.isEmpty());
    }

    @Test
    void unroutableMandatoryMessagesAreReturned() throws Exception {
        BlockingQueue<Return> returns = new ArrayBlockingQueue<>(2);
        ch.addReturnListener(returns::add);
        List<Integer> codes = Collections.synchronizedList(new ArrayList<>());
        ch.addReturnListener((code, text, ex, rk, props, body) -> codes.add(code));
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().messageId("lost").build();
        ch.basicPublish("", Brokers.unique("nowhere"), true, props, utf8("lost"));
        Return r = returns.poll(5, TimeUnit.SECONDS);
        assertNotNull(r);
        assertEquals(312, r.getReplyCode());
        assertEquals("NO_ROUTE", r.getReplyText());
        assertEquals("lost", r.getProperties().getMessageId());
        assertArrayEquals(utf8("lost"), r.getBody());
        for (int i = 0; i < 50 && codes.isEmpty(); i++) {
            Thread.sleep(20);
        }
        assertEquals(List.of(312), codes);
    }

    @Test
    void transactions() throws Exception {
        String q = ch.queueDeclare().getQueue();
        ch.txSelect();
        ch.basicPublish("", q, null, utf8("rolled back"));
        ch.txRollback();
        ch.basicPublish("", q, null, utf8("committed"));
        ch.txCommit();
        GetResponse r = getWithin(ch, q, true);
        assertEquals("committed", new String(r.getBody(), StandardCharsets.UTF_8));
        assertNull(ch.basicGet(q, true));
    }

    @Test
    void connectionCloseIsIdempotentAndTellsListeners() throws Exception {
        Connection c = Brokers.factory().newConnection();
        Channel channel = c.createChannel();
        CountDownLatch told = new CountDownLatch(2);
        AtomicReference<ShutdownSignalException> reason = new AtomicReference<>();
        c.addShutdownListener(sig -> {
            reason.set(sig);
            told.countDown();
        });
        channel.addShutdownListener(sig -> told.countDown());
        c.close();
        c.close();
        c.abort();
        assertTrue(told.await(5, TimeUnit.SECONDS));
        assertTrue(reason.get().isHardError());
        assertTrue(reason.get().isInitiatedByApplication());
        assertFalse(c.isOpen());
        assertFalse(channel.isOpen());
        assertThrows(AlreadyClosedException.class, c::createChannel);
        assertThrows(AlreadyClosedException.class, () -> channel.basicPublish("", "q", null, new byte[0]));
    }

    @Test
    void wrongCredentialsAreAnAuthenticationFailure() throws Exception {
        ConnectionFactory f = Brokers.factory();
        f.setPassword("definitely-wrong");
        f.setAutomaticRecoveryEnabled(false);
        assertThrows(AuthenticationFailureException.class, f::newConnection);
    }

    @Test
    void nothingListeningIsAConnectException() throws Exception {
        ConnectionFactory f = Brokers.factory();
        f.setPort(1);
        assertThrows(java.net.ConnectException.class, f::newConnection);
    }

    @Test
    void addressListsTryEachHost() throws Exception {
        ConnectionFactory f = Brokers.factory();
        Address good = new Address(f.getHost(), f.getPort());
        try (Connection c = f.newConnection(new Address[] {new Address("127.0.0.1", 1), good}, "listed")) {
            assertTrue(c.isOpen());
            assertEquals("listed", c.getClientProvidedName());
        }
        try (Connection c = f.newConnection(List.of(good))) {
            assertTrue(c.createChannel().isOpen());
        }
    }

    @Test
    void aThreadFactoryMakesTheConnectionsJavaThreads() throws Exception {
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        ConnectionFactory f = Brokers.factory();
        f.setThreadFactory(r -> {
            made.incrementAndGet();
            return new Thread(r, "app-thread");
        });
        try (Connection c = f.newConnection()) {
            Channel channel = c.createChannel();
            String q = channel.queueDeclare().getQueue();
            BlockingQueue<Delivery> got = new ArrayBlockingQueue<>(1);
            channel.basicConsume(q, true, (t, d) -> {
                if (Thread.currentThread().getName().equals("app-thread")) {
                    got.add(d);
                }
            }, t -> { });
            channel.basicPublish("", q, null, utf8("x"));
            assertNotNull(got.poll(5, TimeUnit.SECONDS), "the callback ran on a thread of the factory");
        }
        assertEquals(2, made.get(), "the event thread and the dispatcher");
    }
}
