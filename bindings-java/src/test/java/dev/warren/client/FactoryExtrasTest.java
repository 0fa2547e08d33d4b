package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.warren.client.impl.DefaultCredentialsProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/**
 * What applications call on ConnectionFactory beyond the basics (properties files, executors,
 * address resolvers, credentials providers, SASL, metrics, TLS switches, limits), the RPC
 * servers, and the default exception handler on listeners, against the broker under test.
 */
class FactoryExtrasTest {
    private static URI uri() {
        return URI.create(Brokers.uri());
    }

    @Test
    void loadReadsTheOfficialKeysFromPropertiesMapsAndFiles() throws Exception {
        Properties p = new Properties();
        p.setProperty("rabbitmq.host", "broker.example");
        p.setProperty("rabbitmq.port", "5673");
        p.setProperty("rabbitmq.username", "alice");
        p.setProperty("rabbitmq.password", "secret");
        p.setProperty("rabbitmq.virtual.host", "orders");
        p.setProperty("rabbitmq.connection.heartbeat", "17");
        p.setProperty("rabbitmq.connection.channel.max", "99");
        p.setProperty("rabbitmq.connection.frame.max", "65536");
        p.setProperty("rabbitmq.connection.timeout", "1234");
        p.setProperty("rabbitmq.handshake.timeout", "2345");
        p.setProperty("rabbitmq.shutdown.timeout", "3456");
        p.setProperty("rabbitmq.connection.recovery.enabled", "false");
        p.setProperty("rabbitmq.topology.recovery.enabled", "false");
        p.setProperty("rabbitmq.connection.recovery.interval", "777");
        p.setProperty("rabbitmq.channel.rpc.timeout", "4567");
        p.setProperty("rabbitmq.client.properties.team", "billing");
        ConnectionFactory f = new ConnectionFactory().load(p);
        assertEquals("broker.example", f.getHost());
        assertEquals(5673, f.getPort());
        assertEquals("alice", f.getUsername());
        assertEquals("secret", f.getPassword());
        assertEquals("orders", f.getVirtualHost());
        assertEquals(17, f.getRequestedHeartbeat());
        assertEquals(99, f.getRequestedChannelMax());
        assertEquals(65536, f.getRequestedFrameMax());
        assertEquals(1234, f.getConnectionTimeout());
        assertEquals(2345, f.getHandshakeTimeout());
        assertEquals(3456, f.getShutdownTimeout());
        assertFalse(f.isAutomaticRecoveryEnabled());
        assertFalse(f.isTopologyRecoveryEnabled());
        assertEquals(777, f.getNetworkRecoveryInterval());
        assertEquals(4567, f.getChannelRpcTimeout());
        assertEquals("billing", f.getClientProperties().get("team"));
        assertFalse(f.isSSL());

        Map<String, String> map = new HashMap<>();
        map.put("app.uri", "amqps://bob:pw@tls.example:5999/prod");
        map.put("app.ssl.enabled", "true");
        ConnectionFactory g = new ConnectionFactory().load(map, "app.");
        assertEquals("bob", g.getUsername());
        assertEquals("tls.example", g.getHost());
        assertEquals(5999, g.getPort());
        assertEquals("prod", g.getVirtualHost());
        assertTrue(g.isSSL());

        Path file = Files.createTempFile("warren-factory", ".properties");
        try {
            Files.writeString(file, "rabbitmq.username=carol\nrabbitmq.connection.heartbeat=5\n");
            ConnectionFactory h = new ConnectionFactory().load(file.toString());
            assertEquals("carol", h.getUsername());
            assertEquals(5, h.getRequestedHeartbeat());
        } finally {
            Files.delete(file);
        }
        assertThrows(IOException.class, () -> new ConnectionFactory().load("/nonexistent/warren.properties"));
    }

    @Test
    void newConnectionOverloadsWithExecutorsAndResolversConnect() throws Exception {
        ConnectionFactory f = Brokers.factory();
        ExecutorService executor = Executors.newFixedThreadPool(2);
        f.setSharedExecutor(executor);
        Address address = new Address(uri().getHost(), uri().getPort());
        try {
            try (Connection c = f.newConnection(executor, new Address[] {address}, "java-exec-array")) {
                assertEquals("java-exec-array", c.getClientProvidedName());
                assertTrue(c.isOpen());
            }
            try (Connection c = f.newConnection(executor, List.of(address), "java-exec-list")) {
                assertEquals("java-exec-list", c.getClientProvidedName());
            }
            AtomicInteger asked = new AtomicInteger();
            AddressResolver resolver = () -> {
                asked.incrementAndGet();
                return List.of(address);
            };
            try (Connection c = f.newConnection(resolver)) {
                assertTrue(c.isOpen());
            }
            try (Connection c = f.newConnection(executor, new ListAddressResolver(List.of(address)), "java-res")) {
                assertEquals("java-res", c.getClientProvidedName());
                Channel ch = c.createChannel();
                String q = ch.queueDeclare().getQueue();
                ch.basicPublish("", q, null, new byte[] {1});
                assertNotNull(getWithin(ch, q));
            }
            assertEquals(1, asked.get());
        } finally {
            executor.shutdownNow();
        }
    }

    private static GetResponse getWithin(Channel ch, String q) throws Exception {
        for (int i = 0; i < 100; i++) {
            GetResponse r = ch.basicGet(q, true);
            if (r != null) {
                return r;
            }
            Thread.sleep(20);
        }
        return null;
    }

    @Test
    void theCredentialsProviderIsAskedAtConnect() throws Exception {
        ConnectionFactory f = Brokers.factory();
        String user = f.getUsername();
        String pass = f.getPassword();
        f.setPassword("not-the-password");
        f.setCredentialsProvider(new DefaultCredentialsProvider(user, pass));
        try (Connection c = f.newConnection()) {
            assertTrue(c.isOpen());
        }
        f.setCredentialsProvider(new DefaultCredentialsProvider(user, "wrong-" + pass));
        f.setAutomaticRecoveryEnabled(false);
        assertThrows(AuthenticationFailureException.class, f::newConnection);
    }

    @Test
    void onlyTheSaslConfigurationsTheCoreSpeaksAreAccepted() throws Exception {
        ConnectionFactory f = Brokers.factory();
        assertEquals(DefaultSaslConfig.PLAIN, f.getSaslConfig());
        f.setSaslConfig(mechanisms -> null);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, f::newConnection);
        assertTrue(e.getMessage().contains("SASL"), e.getMessage());
        f.setSaslConfig(DefaultSaslConfig.PLAIN);
        try (Connection c = f.newConnection()) {
            assertTrue(c.isOpen());
        }
    }

    @Test
    void toStringMatchesTheOfficialClients() throws Exception {
        try (Connection ours = Brokers.factory().newConnection();
             com.rabbitmq.client.Connection official = Brokers.officialFactory().newConnection()) {
            assertEquals(official.toString(), ours.toString());
            Channel ch = ours.createChannel();
            com.rabbitmq.client.Channel och = official.createChannel();
            assertEquals(och.toString().replace(",1)", ",X)"),
                    ch.toString().replace("," + ch.getChannelNumber() + ")", ",X)"));
        }
    }

    @Test
    void theMetricsCollectorHearsOfConnectionsChannelsAndMessages() throws Exception {
        Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        MetricsCollector collector = new NoOpMetricsCollector() {
            private void count(String what) {
                counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
            }

            @Override
            public void newConnection(Connection connection) {
                count("newConnection");
            }

            @Override
            public void closeConnection(Connection connection) {
                count("closeConnection");
            }

            @Override
            public void newChannel(Channel channel) {
                count("newChannel");
            }

            @Override
            public void closeChannel(Channel channel) {
                count("closeChannel");
            }

            @Override
            public void basicPublish(Channel channel) {
                count("basicPublish");
            }

            @Override
            public void consumedMessage(Channel channel, long deliveryTag, String consumerTag) {
                count("consumed");
            }

            @Override
            public void consumedMessage(Channel channel, long deliveryTag, boolean autoAck) {
                count("got");
            }

            @Override
            public void basicAck(Channel channel, long deliveryTag, boolean multiple) {
                count("basicAck");
            }

            @Override
            public void basicReject(Channel channel, long deliveryTag, boolean requeue) {
                count("basicReject");
            }

            @Override
            public void basicConsume(Channel channel, String consumerTag, boolean autoAck) {
                count("basicConsume");
            }

            @Override
            public void basicCancel(Channel channel, String consumerTag) {
                count("basicCancel");
            }
        };
        ConnectionFactory f = Brokers.factory();
        f.setMetricsCollector(collector);
        assertEquals(collector, f.getMetricsCollector());
        try (Connection c = f.newConnection()) {
            Channel ch = c.createChannel();
            String q = ch.queueDeclare().getQueue();
            for (int i = 0; i < 3; i++) {
                ch.basicPublish("", q, null, new byte[] {(byte) i});
            }
            GetResponse got = null;
            for (int i = 0; i < 100 && got == null; i++) {
                got = ch.basicGet(q, false);
                if (got == null) {
                    Thread.sleep(20);
                }
            }
            assertNotNull(got);
            ch.basicReject(got.getEnvelope().getDeliveryTag(), false);
            BlockingQueue<Long> tags = new LinkedBlockingQueue<>();
            String tag = ch.basicConsume(q, false, (t, d) -> tags.add(d.getEnvelope().getDeliveryTag()), t -> { });
            for (int i = 0; i < 2; i++) {
                Long deliveryTag = tags.poll(10, TimeUnit.SECONDS);
                assertNotNull(deliveryTag);
                ch.basicAck(deliveryTag, false);
            }
            ch.basicCancel(tag);
            ch.close();
        }
        assertEquals(1, counts.get("newConnection").get());
        assertEquals(1, counts.get("closeConnection").get());
        assertEquals(1, counts.get("newChannel").get());
        assertEquals(1, counts.get("closeChannel").get());
        assertEquals(3, counts.get("basicPublish").get());
        assertEquals(1, counts.get("got").get());
        assertEquals(1, counts.get("basicReject").get());
        assertEquals(2, counts.get("consumed").get());
        assertEquals(2, counts.get("basicAck").get());
        assertEquals(1, counts.get("basicConsume").get());
        assertEquals(1, counts.get("basicCancel").get());
    }

    @Test
    void tlsSwitchesAndAcceptedSettingsAreKept() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        assertFalse(f.isSSL());
        assertEquals(5672, f.getPort());
        f.useSslProtocol("TLSv1.2", new X509TrustManager() {
            @Override
            public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
            }

            @Override
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        });
        assertTrue(f.isSSL());
        assertEquals(5671, f.getPort());
        ConnectionFactory g = new ConnectionFactory();
        g.useTlsWithNoVerification();
        assertTrue(g.isSSL());
        SocketConfigurator sc = socket -> socket.setKeepAlive(true);
        g.setSocketConfigurator(sc);
        assertEquals(sc, g.getSocketConfigurator());
        g.setTrafficListener(TrafficListener.NO_OP);
        assertEquals(TrafficListener.NO_OP, g.getTrafficListener());
        g.setWorkPoolTimeout(1000);
        assertEquals(1000, g.getWorkPoolTimeout());
        g.setChannelShouldCheckRpcResponseType(true);
        assertTrue(g.isChannelShouldCheckRpcResponseType());
        RecoveryDelayHandler handler = new RecoveryDelayHandler.ExponentialBackoffDelayHandler(List.of(10L, 20L));
        g.setRecoveryDelayHandler(handler);
        assertEquals(handler, g.getRecoveryDelayHandler());
        assertEquals(20L, handler.getDelay(5));
        assertEquals(300L, new ConnectionFactory() {
            {
                setNetworkRecoveryInterval(300);
            }
        }.getRecoveryDelayHandler().getDelay(3));
        assertThrows(IllegalArgumentException.class, () -> g.setMaxInboundMessageBodySize(0));
    }

    @Test
    void aMessageOverTheInboundLimitIsRefused() throws Exception {
        ConnectionFactory f = Brokers.factory();
        f.setMaxInboundMessageBodySize(1000);
        try (Connection c = f.newConnection(); Connection sender = Brokers.factory().newConnection()) {
            Channel ch = c.createChannel();
            String q = ch.queueDeclare().getQueue();
            Channel out = sender.createChannel();
            out.basicPublish("", q, null, new byte[100]);
            assertNotNull(getWithin(ch, q), "a small message passes");
            out.basicPublish("", q, null, new byte[5000]);
            Exception e = assertThrows(Exception.class, () -> getWithin(ch, q));
            assertTrue(e instanceof IOException || e instanceof ShutdownSignalException, e.toString());
        }
    }

    @Test
    void channelRpcWithARawMethodIsUnsupported() throws Exception {
        try (Connection c = Brokers.factory().newConnection()) {
            Channel ch = c.createChannel();
            AMQP.Queue.DeclareOk ok = ch.queueDeclare();
            assertThrows(UnsupportedOperationException.class, () -> ch.rpc(ok));
            assertThrows(UnsupportedOperationException.class, () -> ch.asyncCompletableRpc(ok));
            assertTrue(ch.isOpen());
        }
    }

    @Test
    void stringAndMapRpcServersAnswerTheRpcClient() throws Exception {
        try (Connection c = Brokers.factory().newConnection()) {
            Channel serverChannel = c.createChannel();
            String q = Brokers.unique("string-rpc");
            serverChannel.queueDeclare(q, false, false, true, null);
            StringRpcServer server = new StringRpcServer(serverChannel, q) {
                @Override
                public String handleStringCall(String request) {
                    return request.toUpperCase(java.util.Locale.ROOT);
                }
            };
            Thread loop = new Thread(() -> {
                try {
                    server.mainloop();
                } catch (IOException e) {
                    // closed
                }
            });
            loop.start();
            String mq = Brokers.unique("map-rpc");
            Channel mapChannel = c.createChannel();
            mapChannel.queueDeclare(mq, false, false, true, null);
            MapRpcServer mapServer = new MapRpcServer(mapChannel, mq) {
                @Override
                public Map<String, Object> handleMapCall(Map<String, Object> request) {
                    Map<String, Object> reply = new HashMap<>();
                    reply.put("sum", (Integer) request.get("a") + (Integer) request.get("b"));
                    return reply;
                }
            };
            Thread mapLoop = new Thread(() -> {
                try {
                    mapServer.mainloop();
                } catch (IOException e) {
                    // closed
                }
            });
            mapLoop.start();
            try (RpcClient client = new RpcClient(new RpcClientParams().channel(c.createChannel()).exchange("")
                    .routingKey(q).timeout(10000));
                 RpcClient mapClient = new RpcClient(new RpcClientParams().channel(c.createChannel())
                         .routingKey(mq).timeout(10000))) {
                assertEquals("HELLO", client.stringCall("hello"));
                Map<String, Object> reply = mapClient.mapCall(new Object[] {"a", 2, "b", 40});
                assertEquals(42, reply.get("sum"));
            } finally {
                server.terminateMainloop();
                mapServer.terminateMainloop();
                loop.join(10000);
                mapLoop.join(10000);
            }
            assertEquals(Map.of(), MapRpcServer.decode(MapRpcServer.encode(Map.of())));
            assertEquals(Map.of("k", 7), MapRpcServer.decode(MapRpcServer.encode(Map.of("k", 7))));
        }
    }

    @Test
    void theDefaultHandlerClosesTheChannelOfAConfirmListenerThatThrows() throws Exception {
        try (Connection c = Brokers.factory().newConnection()) {
            Channel ch = c.createChannel();
            BlockingQueue<ShutdownSignalException> signals = new LinkedBlockingQueue<>();
            ch.addShutdownListener(signals::add);
            String q = ch.queueDeclare().getQueue();
            ch.confirmSelect();
            ch.addConfirmListener((seq, multiple) -> {
                throw new IllegalStateException("listener fails");
            }, (seq, multiple) -> { });
            ch.basicPublish("", q, null, new byte[1]);
            ShutdownSignalException sig = signals.poll(10, TimeUnit.SECONDS);
            assertNotNull(sig, "the channel was closed");
            assertTrue(sig.isInitiatedByApplication());
            AMQP.Channel.Close close = assertInstanceOf(AMQP.Channel.Close.class, sig.getReason());
            assertEquals(200, close.getReplyCode());
            assertEquals("Closed due to exception from ConfirmListener.handle{N,A}ck", close.getReplyText());
            assertTrue(c.isOpen());
        }
    }
}
