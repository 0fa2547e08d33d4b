package dev.warren.client;

import dev.warren.client.impl.CredentialsProvider;
import dev.warren.client.impl.DefaultExceptionHandler;
import dev.warren.client.impl.WarrenConnection;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Makes connections: set host, port, credentials and options (or a URI), then call
 * {@link #newConnection()}. Defaults are the official client's: localhost:5672, guest/guest,
 * vhost "/", heartbeat 60 s, automatic recovery on (every 5 s).
 */
public class ConnectionFactory implements Cloneable {
    /** Default user name. */
    public static final String DEFAULT_USER = "guest";
    /** Default password. */
    public static final String DEFAULT_PASS = "guest";
    /** Default virtual host. */
    public static final String DEFAULT_VHOST = "/";
    /** Default channel max (2047, as RabbitMQ). */
    public static final int DEFAULT_CHANNEL_MAX = 2047;
    /** Default frame max (0: the broker's). */
    public static final int DEFAULT_FRAME_MAX = 0;
    /** Default heartbeat, seconds. */
    public static final int DEFAULT_HEARTBEAT = 60;
    /** Default host. */
    public static final String DEFAULT_HOST = "localhost";
    /** Port value meaning "the default for the protocol". */
    public static final int USE_DEFAULT_PORT = -1;
    /** AMQP's port. */
    public static final int DEFAULT_AMQP_PORT = 5672;
    /** AMQP over TLS's port. */
    public static final int DEFAULT_AMQP_OVER_SSL_PORT = 5671;
    /** Default TCP connection timeout, milliseconds. */
    public static final int DEFAULT_CONNECTION_TIMEOUT = 60000;
    /** Default handshake timeout, milliseconds. */
    public static final int DEFAULT_HANDSHAKE_TIMEOUT = 10000;
    /** Default shutdown timeout, milliseconds. */
    public static final int DEFAULT_SHUTDOWN_TIMEOUT = 10000;
    /** Default timeout of a synchronous channel operation, milliseconds. */
    public static final int DEFAULT_CHANNEL_RPC_TIMEOUT = 600000;
    /** Default interval between recovery attempts, milliseconds. */
    public static final long DEFAULT_NETWORK_RECOVERY_INTERVAL = 5000;
    /** Default work pool timeout: -1, no timeout (see {@link #setWorkPoolTimeout}). */
    public static final int DEFAULT_WORK_POOL_TIMEOUT = -1;
    /** Default largest inbound message body: 64 MiB, as the official client. */
    public static final int DEFAULT_MAX_INBOUND_MESSAGE_BODY_SIZE = 1024 * 1024 * 64;

    private String host = DEFAULT_HOST;
    private int port = USE_DEFAULT_PORT;
    private String username = DEFAULT_USER;
    private String password = DEFAULT_PASS;
    private String virtualHost = DEFAULT_VHOST;
    private int requestedChannelMax = DEFAULT_CHANNEL_MAX;
    private int requestedFrameMax = DEFAULT_FRAME_MAX;
    private int requestedHeartbeat = DEFAULT_HEARTBEAT;
    private int connectionTimeout = DEFAULT_CONNECTION_TIMEOUT;
    private int handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
    private int shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private int channelRpcTimeout = DEFAULT_CHANNEL_RPC_TIMEOUT;
    private Map<String, Object> clientProperties = new HashMap<>();
    private boolean automaticRecovery = true;
    private boolean topologyRecovery = true;
    private long networkRecoveryInterval = DEFAULT_NETWORK_RECOVERY_INTERVAL;
    /** 0: plain TCP, 1: TLS without verification (useSslProtocol()), 2: TLS verified. */
    private int tlsMode;
    private ExceptionHandler exceptionHandler = new DefaultExceptionHandler();
    /** Told of connections, channels and messages; never null. */
    private MetricsCollector metricsCollector = new NoOpMetricsCollector();
    /** Where credentials come from at each connect; null: username and password above. */
    private CredentialsProvider credentialsProvider;
    /** The SASL mechanism (PLAIN unless EXTERNAL is chosen). */
    private SaslConfig saslConfig = DefaultSaslConfig.PLAIN;
    /** Kept for getSocketConfigurator(); Warren's native sockets are not java.net.Sockets. */
    private SocketConfigurator socketConfigurator = new DefaultSocketConfigurator();
    /** Kept for getSocketFactory(); see setSocketFactory. */
    private SocketFactory socketFactory;
    /** Gives the recovery interval when set (its delay for the first attempt). */
    private RecoveryDelayHandler recoveryDelayHandler;
    /** Accepted for compatibility; see setSharedExecutor. */
    private ExecutorService sharedExecutor;
    /** Accepted for compatibility; see setSharedExecutor. */
    private ExecutorService shutdownExecutor;
    /** Accepted for compatibility; see setSharedExecutor. */
    private ScheduledExecutorService heartbeatExecutor;
    /** Accepted for compatibility; see setSharedExecutor. */
    private ExecutorService topologyRecoveryExecutor;
    /** Kept for its getter; see setTrafficListener. */
    private TrafficListener trafficListener = TrafficListener.NO_OP;
    /** Kept for its getter; Warren always checks a reply's type. */
    private boolean channelShouldCheckRpcResponseType;
    /** Kept for its getter; see setWorkPoolTimeout. */
    private int workPoolTimeout = DEFAULT_WORK_POOL_TIMEOUT;
    /** The largest message body accepted from the broker, in bytes. */
    private int maxInboundMessageBodySize = DEFAULT_MAX_INBOUND_MESSAGE_BODY_SIZE;
    /** Makes the connection's Java threads (events, dispatchers, listeners); null: Warren's own. */
    private ThreadFactory threadFactory;

    /** A factory with the defaults. */
    public ConnectionFactory() {
    }

    /** @return the host */
    public String getHost() {
        return host;
    }

    /** @param host the broker's host name or address */
    public void setHost(String host) {
        this.host = host;
    }

    /**
     * @param port a port, or {@link #USE_DEFAULT_PORT}
     * @param ssl whether TLS is used
     * @return the port to use
     */
    public static int portOrDefault(int port, boolean ssl) {
        if (port != USE_DEFAULT_PORT) {
            return port;
        }
        return ssl ? DEFAULT_AMQP_OVER_SSL_PORT : DEFAULT_AMQP_PORT;
    }

    /** @return the port (the protocol's default when not set) */
    public int getPort() {
        return portOrDefault(port, isSSL());
    }

    /** @param port the broker's port */
    public void setPort(int port) {
        this.port = port;
    }

    /** @return the user name */
    public String getUsername() {
        return username;
    }

    /** @param username the user name */
    public void setUsername(String username) {
        this.username = username;
    }

    /** @return the password */
    public String getPassword() {
        return password;
    }

    /** @param password the password */
    public void setPassword(String password) {
        this.password = password;
    }

    /** @return the virtual host */
    public String getVirtualHost() {
        return virtualHost;
    }

    /** @param virtualHost the virtual host */
    public void setVirtualHost(String virtualHost) {
        this.virtualHost = virtualHost;
    }

    /**
     * Takes host, port, credentials, virtual host and TLS from an AMQP URI
     * ({@code amqp[s]://user:pass@host:port/vhost?heartbeat=..&connection_timeout=..&channel_max=..}).
     *
     * @param uri the URI
     * @throws NoSuchAlgorithmException declared for compatibility
     * @throws KeyManagementException declared for compatibility
     * @throws IllegalArgumentException if the URI is not an AMQP URI
     */
    public void setUri(URI uri) throws NoSuchAlgorithmException, KeyManagementException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if ("amqp".equals(scheme)) {
            tlsMode = 0;
        } else if ("amqps".equals(scheme)) {
            // As the official client: amqps without further settings trusts any certificate.
            tlsMode = 1;
        } else {
            throw new IllegalArgumentException("Wrong scheme in AMQP URI: " + uri.getScheme());
        }
        if (uri.getHost() != null) {
            String h = uri.getHost();
            setHost(h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h);
        }
        if (uri.getPort() != -1) {
            setPort(uri.getPort());
        }
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            String[] parts = userInfo.split(":", 2);
            setUsername(percentDecode(parts[0]));
            if (parts.length > 1) {
                setPassword(percentDecode(parts[1]));
            }
        }
        String path = uri.getRawPath();
        if (path != null && path.length() > 0) {
            if (path.indexOf('/', 1) != -1) {
                throw new IllegalArgumentException("Multiple segments in path of AMQP URI");
            }
            setVirtualHost(percentDecode(path.substring(1)));
        }
        String query = uri.getRawQuery();
        if (query != null) {
            for (String pair : query.split("&")) {
                String[] kv = pair.split("=", 2);
                if (kv.length == 2) {
                    processUriQueryParameter(percentDecode(kv[0]), percentDecode(kv[1]));
                }
            }
        }
    }

    /**
     * @param uriString the URI
     * @throws URISyntaxException if it is not a URI
     * @throws NoSuchAlgorithmException declared for compatibility
     * @throws KeyManagementException declared for compatibility
     */
    public void setUri(String uriString) throws URISyntaxException, NoSuchAlgorithmException, KeyManagementException {
        setUri(new URI(uriString));
    }

    /**
     * Applies one query parameter of an AMQP URI; unknown ones are ignored.
     *
     * @param key the parameter
     * @param value its value
     */
    protected void processUriQueryParameter(String key, String value) {
        switch (key) {
            case "heartbeat":
                setRequestedHeartbeat(Integer.parseInt(value));
                break;
            case "connection_timeout":
                setConnectionTimeout(Integer.parseInt(value));
                break;
            case "channel_max":
                setRequestedChannelMax(Integer.parseInt(value));
                break;
            case "frame_max":
                setRequestedFrameMax(Integer.parseInt(value));
                break;
            default:
                break;
        }
    }

    private static String percentDecode(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '%' && i + 3 <= s.length()) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 3;
            } else {
                int cp = s.codePointAt(i);
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** @return the channel max asked for */
    public int getRequestedChannelMax() {
        return requestedChannelMax;
    }

    /** @param requestedChannelMax the highest channel number to ask for (0: the broker's) */
    public void setRequestedChannelMax(int requestedChannelMax) {
        this.requestedChannelMax = requestedChannelMax;
    }

    /** @return the frame max asked for */
    public int getRequestedFrameMax() {
        return requestedFrameMax;
    }

    /** @param requestedFrameMax the largest frame to ask for (0: the broker's) */
    public void setRequestedFrameMax(int requestedFrameMax) {
        this.requestedFrameMax = requestedFrameMax;
    }

    /** @return the heartbeat asked for, seconds */
    public int getRequestedHeartbeat() {
        return requestedHeartbeat;
    }

    /** @param requestedHeartbeat the heartbeat interval to ask for, seconds (0: none) */
    public void setRequestedHeartbeat(int requestedHeartbeat) {
        if (requestedHeartbeat < 0) {
            throw new IllegalArgumentException("TCP heartbeat timeout must not be negative");
        }
        this.requestedHeartbeat = requestedHeartbeat;
    }

    /** @param connectionTimeout milliseconds to connect (TCP, TLS and handshake; 0: the default) */
    public void setConnectionTimeout(int connectionTimeout) {
        if (connectionTimeout < 0) {
            throw new IllegalArgumentException("TCP connection timeout cannot be negative");
        }
        this.connectionTimeout = connectionTimeout;
    }

    /** @return the connection timeout, milliseconds */
    public int getConnectionTimeout() {
        return connectionTimeout;
    }

    /** @return the handshake timeout, milliseconds (part of the connection timeout in Warren) */
    public int getHandshakeTimeout() {
        return handshakeTimeout;
    }

    /** @param timeout the handshake timeout, milliseconds (Warren bounds the whole connect by the connection timeout) */
    public void setHandshakeTimeout(int timeout) {
        this.handshakeTimeout = timeout;
    }

    /** @param shutdownTimeout milliseconds {@code close()} waits for the broker */
    public void setShutdownTimeout(int shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
    }

    /** @return the shutdown timeout, milliseconds */
    public int getShutdownTimeout() {
        return shutdownTimeout;
    }

    /** @param channelRpcTimeout milliseconds a synchronous channel operation waits (0: no limit) */
    public void setChannelRpcTimeout(int channelRpcTimeout) {
        this.channelRpcTimeout = channelRpcTimeout;
    }

    /** @return the channel RPC timeout, milliseconds */
    public int getChannelRpcTimeout() {
        return channelRpcTimeout;
    }

    /** @return the client properties sent to the broker (modifiable) */
    public Map<String, Object> getClientProperties() {
        return clientProperties;
    }

    /** @param clientProperties the client properties to send */
    public void setClientProperties(Map<String, Object> clientProperties) {
        this.clientProperties = clientProperties;
    }

    /** @return the handler told of exceptions thrown by callbacks */
    public ExceptionHandler getExceptionHandler() {
        return exceptionHandler;
    }

    /** @param exceptionHandler told of exceptions thrown by callbacks */
    public void setExceptionHandler(ExceptionHandler exceptionHandler) {
        if (exceptionHandler == null) {
            throw new IllegalArgumentException("exception handler cannot be null!");
        }
        this.exceptionHandler = exceptionHandler;
    }

    /** @return the factory of the connections' Java threads, or null for Warren's own */
    public ThreadFactory getThreadFactory() {
        return threadFactory;
    }

    /**
     * Makes the Java threads of the connections made here (the event thread, each channel's
     * dispatcher, confirm and return threads) with this factory, as the official client makes
     * its consumer threads with it. The I/O itself runs on Warren's native threads.
     *
     * @param threadFactory the factory
     */
    public void setThreadFactory(ThreadFactory threadFactory) {
        this.threadFactory = threadFactory;
    }

    /** @return whether TLS is used */
    public boolean isSSL() {
        return tlsMode != 0;
    }

    /**
     * Uses TLS without verifying the server's certificate (as the official client's method of
     * the same name does: for development).
     *
     * @throws NoSuchAlgorithmException declared for compatibility
     * @throws KeyManagementException declared for compatibility
     */
    public void useSslProtocol() throws NoSuchAlgorithmException, KeyManagementException {
        tlsMode = 1;
    }

    /**
     * @param protocol ignored: Warren negotiates TLS 1.2 or 1.3
     * @throws NoSuchAlgorithmException declared for compatibility
     * @throws KeyManagementException declared for compatibility
     */
    public void useSslProtocol(String protocol) throws NoSuchAlgorithmException, KeyManagementException {
        tlsMode = 1;
    }

    /**
     * Uses TLS verified against the system's trusted roots. The context itself cannot be used by
     * Warren's Rust TLS stack; its trust settings are not read.
     *
     * @param context ignored beyond switching verified TLS on
     */
    public void useSslProtocol(SSLContext context) {
        tlsMode = 2;
    }

    /**
     * Uses TLS with the given trust manager. A trust manager that accepts every certificate
     * (one that names no accepted issuers) turns verification off, as
     * {@link #useSslProtocol()}; any other turns verified TLS on against the system's trusted
     * roots, since Warren's Rust TLS stack cannot call a Java trust manager.
     *
     * @param protocol ignored: Warren negotiates TLS 1.2 or 1.3
     * @param trustManager decides whether the server is verified
     * @throws NoSuchAlgorithmException declared for compatibility
     * @throws KeyManagementException declared for compatibility
     */
    public void useSslProtocol(String protocol, TrustManager trustManager)
            throws NoSuchAlgorithmException, KeyManagementException {
        boolean trustsAll = trustManager instanceof X509TrustManager
                && ((X509TrustManager) trustManager).getAcceptedIssuers().length == 0;
        tlsMode = trustsAll ? 1 : 2;
    }

    /**
     * Uses TLS without verifying the server's certificate (for development only).
     *
     * @throws NoSuchAlgorithmException declared for compatibility
     * @throws KeyManagementException declared for compatibility
     */
    public void useTlsWithNoVerification() throws NoSuchAlgorithmException, KeyManagementException {
        tlsMode = 1;
    }

    /**
     * Makes a TLS context per connection name. Warren's TLS runs in Rust: setting a factory turns
     * verified TLS on (against the system's trusted roots); the contexts are not used.
     *
     * @param sslContextFactory the factory
     */
    public void setSslContextFactory(SslContextFactory sslContextFactory) {
        if (sslContextFactory != null) {
            tlsMode = 2;
        }
    }

    /**
     * Sets the socket factory. An {@link javax.net.ssl.SSLSocketFactory} turns verified TLS on
     * (Warren's TLS runs in Rust, against the system's trusted roots); a plain one changes
     * nothing, since Warren's sockets are native.
     *
     * @param factory the factory
     */
    public void setSocketFactory(SocketFactory factory) {
        this.socketFactory = factory;
        if (factory instanceof javax.net.ssl.SSLSocketFactory) {
            tlsMode = 2;
        }
    }

    /** @return the socket factory set, or null */
    public SocketFactory getSocketFactory() {
        return socketFactory;
    }

    /**
     * Sets the socket configurator. Warren's sockets are native (always with TCP_NODELAY), so
     * the configurator is kept for {@link #getSocketConfigurator()} but not called.
     *
     * @param socketConfigurator the configurator
     */
    public void setSocketConfigurator(SocketConfigurator socketConfigurator) {
        this.socketConfigurator = socketConfigurator;
    }

    /** @return the socket configurator */
    public SocketConfigurator getSocketConfigurator() {
        return socketConfigurator;
    }

    /**
     * Chooses the SASL mechanism: {@link DefaultSaslConfig#PLAIN} (the default) or
     * {@link DefaultSaslConfig#EXTERNAL}. Other configurations make {@code newConnection} throw
     * {@link UnsupportedOperationException}: Warren's core runs the handshake.
     *
     * @param saslConfig the configuration
     */
    public void setSaslConfig(SaslConfig saslConfig) {
        if (saslConfig == null) {
            throw new IllegalArgumentException("SASL configuration cannot be null");
        }
        this.saslConfig = saslConfig;
    }

    /** @return the SASL configuration */
    public SaslConfig getSaslConfig() {
        return saslConfig;
    }

    /**
     * Where user name and password come from; asked at each connect (and recovery uses those).
     *
     * @param credentialsProvider the provider
     */
    public void setCredentialsProvider(CredentialsProvider credentialsProvider) {
        this.credentialsProvider = credentialsProvider;
    }

    /**
     * Told of connections and channels opened and closed, publishes, deliveries and
     * acknowledgements (see {@link MetricsCollector}).
     *
     * @param metricsCollector the collector
     */
    public void setMetricsCollector(MetricsCollector metricsCollector) {
        this.metricsCollector = metricsCollector == null ? new NoOpMetricsCollector() : metricsCollector;
    }

    /** @return the metrics collector ({@link NoOpMetricsCollector} by default) */
    public MetricsCollector getMetricsCollector() {
        return metricsCollector;
    }

    /**
     * Sets how long recovery waits between attempts: Warren waits a fixed interval, the handler's
     * delay for the first attempt ({@code getDelay(0)}); it replaces the network recovery
     * interval.
     *
     * @param recoveryDelayHandler the handler
     */
    public void setRecoveryDelayHandler(RecoveryDelayHandler recoveryDelayHandler) {
        this.recoveryDelayHandler = recoveryDelayHandler;
    }

    /** @return the recovery delay handler (a fixed one of the network recovery interval if none was set) */
    public RecoveryDelayHandler getRecoveryDelayHandler() {
        return recoveryDelayHandler != null ? recoveryDelayHandler
                : new RecoveryDelayHandler.DefaultRecoveryDelayHandler(networkRecoveryInterval);
    }

    /**
     * Accepted for compatibility. The official client runs consumer callbacks on this executor;
     * Warren runs each channel's consumer callbacks in order on a thread of its own (made by
     * the {@link #setThreadFactory thread factory}), which gives the same per-channel ordering,
     * so the executor is not used.
     *
     * @param executor the executor
     */
    public void setSharedExecutor(ExecutorService executor) {
        this.sharedExecutor = executor;
    }

    /**
     * Accepted for compatibility: Warren's core closes connections on its own thread.
     *
     * @param shutdownExecutor the executor
     */
    public void setShutdownExecutor(ExecutorService shutdownExecutor) {
        this.shutdownExecutor = shutdownExecutor;
    }

    /**
     * Accepted for compatibility: Warren's core sends heartbeats on its own runtime thread.
     *
     * @param executor the executor
     */
    public void setHeartbeatExecutor(ScheduledExecutorService executor) {
        this.heartbeatExecutor = executor;
    }

    /**
     * Accepted for compatibility: Warren's core recovers topology itself.
     *
     * @param topologyRecoveryExecutor the executor
     */
    public void setTopologyRecoveryExecutor(ExecutorService topologyRecoveryExecutor) {
        this.topologyRecoveryExecutor = topologyRecoveryExecutor;
    }

    /** @return the executor set with {@link #setTopologyRecoveryExecutor}, or null */
    public ExecutorService getTopologyRecoveryExecutor() {
        return topologyRecoveryExecutor;
    }

    /**
     * Kept for {@link #getTrafficListener()}: Warren's frames never pass through Java, so the
     * listener is not called.
     *
     * @param trafficListener the listener
     */
    public void setTrafficListener(TrafficListener trafficListener) {
        this.trafficListener = trafficListener == null ? TrafficListener.NO_OP : trafficListener;
    }

    /** @return the traffic listener set ({@link TrafficListener#NO_OP} by default) */
    public TrafficListener getTrafficListener() {
        return trafficListener;
    }

    /** @param channelShouldCheckRpcResponseType kept for its getter (Warren always checks) */
    public void setChannelShouldCheckRpcResponseType(boolean channelShouldCheckRpcResponseType) {
        this.channelShouldCheckRpcResponseType = channelShouldCheckRpcResponseType;
    }

    /** @return the value set with {@link #setChannelShouldCheckRpcResponseType} */
    public boolean isChannelShouldCheckRpcResponseType() {
        return channelShouldCheckRpcResponseType;
    }

    /**
     * Kept for its getter: Warren's consumer dispatch has no bounded work pool to time out on
     * (deliveries wait in the core, within the channel's prefetch).
     *
     * @param workPoolTimeout milliseconds, or -1
     */
    public void setWorkPoolTimeout(int workPoolTimeout) {
        this.workPoolTimeout = workPoolTimeout;
    }

    /** @return the value set with {@link #setWorkPoolTimeout} */
    public int getWorkPoolTimeout() {
        return workPoolTimeout;
    }

    /**
     * The largest message body accepted from the broker; a larger one closes the connection
     * with a frame error.
     *
     * @param maxInboundMessageBodySize bytes
     */
    public void setMaxInboundMessageBodySize(int maxInboundMessageBodySize) {
        if (maxInboundMessageBodySize <= 0) {
            throw new IllegalArgumentException("Max inbound message body size must be greater than 0: "
                    + maxInboundMessageBodySize);
        }
        this.maxInboundMessageBodySize = maxInboundMessageBodySize;
    }

    /** Accepted for compatibility: Warren has one I/O implementation (native, non-blocking). */
    public void useNio() {
    }

    /** Accepted for compatibility: Warren has one I/O implementation (native, non-blocking). */
    public void useBlockingIo() {
    }

    /**
     * Reads settings from a properties file, keys prefixed with {@code rabbitmq.} (see
     * {@link ConnectionFactoryConfigurator}).
     *
     * @param propertyFileLocation a path, or {@code classpath:name}
     * @return this factory
     * @throws IOException if the file cannot be read
     */
    public ConnectionFactory load(String propertyFileLocation) throws IOException {
        ConnectionFactoryConfigurator.load(this, propertyFileLocation);
        return this;
    }

    /**
     * @param propertyFileLocation a path, or {@code classpath:name}
     * @param prefix the key prefix
     * @return this factory
     * @throws IOException if the file cannot be read
     */
    public ConnectionFactory load(String propertyFileLocation, String prefix) throws IOException {
        ConnectionFactoryConfigurator.load(this, propertyFileLocation, prefix);
        return this;
    }

    /**
     * @param properties settings, keys prefixed with {@code rabbitmq.}
     * @return this factory
     */
    public ConnectionFactory load(Properties properties) {
        ConnectionFactoryConfigurator.load(this, properties);
        return this;
    }

    /**
     * @param properties settings
     * @param prefix the key prefix
     * @return this factory
     */
    public ConnectionFactory load(Properties properties, String prefix) {
        ConnectionFactoryConfigurator.load(this, properties, prefix);
        return this;
    }

    /**
     * @param properties settings, keys prefixed with {@code rabbitmq.}
     * @return this factory
     */
    public ConnectionFactory load(Map<String, String> properties) {
        ConnectionFactoryConfigurator.load(this, properties);
        return this;
    }

    /**
     * @param properties settings
     * @param prefix the key prefix
     * @return this factory
     */
    public ConnectionFactory load(Map<String, String> properties, String prefix) {
        ConnectionFactoryConfigurator.load(this, properties, prefix);
        return this;
    }

    /** Makes the TLS connection check the server's host name (verified TLS). */
    public void enableHostnameVerification() {
        tlsMode = 2;
    }

    /** @return whether automatic recovery is on */
    public boolean isAutomaticRecoveryEnabled() {
        return automaticRecovery;
    }

    /** @param automaticRecovery reconnect after the connection is lost (default true) */
    public void setAutomaticRecoveryEnabled(boolean automaticRecovery) {
        this.automaticRecovery = automaticRecovery;
    }

    /** @return whether topology is recovered */
    public boolean isTopologyRecoveryEnabled() {
        return topologyRecovery;
    }

    /** @param topologyRecovery redeclare exchanges, queues, bindings and consumers on recovery (default true) */
    public void setTopologyRecoveryEnabled(boolean topologyRecovery) {
        this.topologyRecovery = topologyRecovery;
    }

    /** @return milliseconds between recovery attempts */
    public long getNetworkRecoveryInterval() {
        return networkRecoveryInterval;
    }

    /** @param networkRecoveryInterval milliseconds between recovery attempts */
    public void setNetworkRecoveryInterval(int networkRecoveryInterval) {
        this.networkRecoveryInterval = networkRecoveryInterval;
    }

    /** @param networkRecoveryInterval milliseconds between recovery attempts */
    public void setNetworkRecoveryInterval(long networkRecoveryInterval) {
        this.networkRecoveryInterval = networkRecoveryInterval;
    }

    /**
     * @return a new connection to the configured host
     * @throws IOException if connecting failed (refused, authentication, TLS...)
     * @throws TimeoutException if connecting took longer than the connection timeout
     */
    public Connection newConnection() throws IOException, TimeoutException {
        return newConnection((String) null);
    }

    /**
     * @param clientProvidedName a name shown in the broker's management UI
     * @return a new connection
     * @throws IOException if connecting failed
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(String clientProvidedName) throws IOException, TimeoutException {
        return newConnection(List.of(new Address(host, port)), clientProvidedName);
    }

    /**
     * @param executor ignored: callbacks run on Warren's per-channel dispatcher threads
     * @return a new connection
     * @throws IOException if connecting failed
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(ExecutorService executor) throws IOException, TimeoutException {
        return newConnection();
    }

    /**
     * @param executor ignored
     * @param clientProvidedName a name shown in the broker's management UI
     * @return a new connection
     * @throws IOException if connecting failed
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(ExecutorService executor, String clientProvidedName)
            throws IOException, TimeoutException {
        return newConnection(clientProvidedName);
    }

    /**
     * Connects to the first address that accepts; recovery tries them in rotation.
     *
     * @param addrs the brokers
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(Address[] addrs) throws IOException, TimeoutException {
        return newConnection(Arrays.asList(addrs), null);
    }

    /**
     * @param addrs the brokers
     * @param clientProvidedName a name shown in the broker's management UI
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(Address[] addrs, String clientProvidedName) throws IOException, TimeoutException {
        return newConnection(Arrays.asList(addrs), clientProvidedName);
    }

    /**
     * @param addrs the brokers
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(List<Address> addrs) throws IOException, TimeoutException {
        return newConnection(addrs, null);
    }

    /**
     * @param executor ignored
     * @param addrs the brokers
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(ExecutorService executor, Address[] addrs) throws IOException, TimeoutException {
        return newConnection(addrs);
    }

    /**
     * @param executor ignored
     * @param addrs the brokers
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(ExecutorService executor, List<Address> addrs)
            throws IOException, TimeoutException {
        return newConnection(addrs);
    }

    /**
     * @param addrs the brokers, tried in order
     * @param clientProvidedName a name shown in the broker's management UI, or null
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(List<Address> addrs, String clientProvidedName)
            throws IOException, TimeoutException {
        return connect(new ListAddressResolver(addrs), clientProvidedName);
    }

    /**
     * @param executor not used (see {@link #setSharedExecutor})
     * @param addrs the brokers, tried in order
     * @param clientProvidedName a name shown in the broker's management UI, or null
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(ExecutorService executor, Address[] addrs, String clientProvidedName)
            throws IOException, TimeoutException {
        return newConnection(addrs, clientProvidedName);
    }

    /**
     * @param executor not used (see {@link #setSharedExecutor})
     * @param addrs the brokers, tried in order
     * @param clientProvidedName a name shown in the broker's management UI, or null
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(ExecutorService executor, List<Address> addrs, String clientProvidedName)
            throws IOException, TimeoutException {
        return newConnection(addrs, clientProvidedName);
    }

    /**
     * @param addressResolver gives the brokers, tried in order
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(AddressResolver addressResolver) throws IOException, TimeoutException {
        return connect(addressResolver, null);
    }

    /**
     * @param executor not used (see {@link #setSharedExecutor})
     * @param addressResolver gives the brokers, tried in order
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(ExecutorService executor, AddressResolver addressResolver)
            throws IOException, TimeoutException {
        return connect(addressResolver, null);
    }

    /**
     * @param executor not used (see {@link #setSharedExecutor})
     * @param addressResolver gives the brokers, tried in order
     * @param clientProvidedName a name shown in the broker's management UI, or null
     * @return a new connection
     * @throws IOException if no broker accepted
     * @throws TimeoutException if connecting took too long
     */
    public Connection newConnection(ExecutorService executor, AddressResolver addressResolver,
                                    String clientProvidedName) throws IOException, TimeoutException {
        return connect(addressResolver, clientProvidedName);
    }

    /** Connects to the first broker of the resolver's (shuffled) list that accepts. */
    private Connection connect(AddressResolver addressResolver, String clientProvidedName)
            throws IOException, TimeoutException {
        int mechanism;
        if (saslConfig == DefaultSaslConfig.PLAIN) {
            mechanism = 0;
        } else if (saslConfig == DefaultSaslConfig.EXTERNAL) {
            mechanism = 1;
        } else {
            throw new UnsupportedOperationException("Warren's core runs the SASL handshake itself: only "
                    + "DefaultSaslConfig.PLAIN and DefaultSaslConfig.EXTERNAL are supported, not " + saslConfig);
        }
        String user = username;
        String pass = password;
        if (credentialsProvider != null) {
            user = credentialsProvider.getUsername();
            pass = credentialsProvider.getPassword();
        }
        List<Address> addrs = addressResolver.maybeShuffle(addressResolver.getAddresses());
        if (addrs == null || addrs.isEmpty()) {
            throw new IllegalArgumentException("at least one address is needed");
        }
        List<String> hosts = new ArrayList<>();
        long[] ports = new long[addrs.size()];
        for (int i = 0; i < addrs.size(); i++) {
            Address a = addrs.get(i);
            hosts.add(a.getHost());
            ports[i] = portOrDefault(a.getPort(), isSSL());
        }
        long[] settings = {
            requestedHeartbeat,
            connectionTimeout,
            requestedChannelMax,
            requestedFrameMax,
            automaticRecovery ? 1 : 0,
            topologyRecovery ? 1 : 0,
            recoveryDelayHandler != null ? recoveryDelayHandler.getDelay(0) : networkRecoveryInterval,
            channelRpcTimeout,
            shutdownTimeout,
            maxInboundMessageBodySize,
            mechanism,
        };
        return WarrenConnection.open(hosts.toArray(new String[0]), ports, tlsMode, user, pass, virtualHost,
                settings, clientProvidedName, clientProperties, exceptionHandler, threadFactory, metricsCollector);
    }

    @Override
    public ConnectionFactory clone() {
        try {
            ConnectionFactory copy = (ConnectionFactory) super.clone();
            copy.clientProperties = new HashMap<>(clientProperties);
            return copy;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }
}
