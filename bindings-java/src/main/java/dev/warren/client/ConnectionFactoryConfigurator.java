package dev.warren.client;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.BiConsumer;

/**
 * Configures a {@link ConnectionFactory} from properties (a file, {@link Properties} or a map),
 * with the official client's keys: {@code rabbitmq.uri}, {@code rabbitmq.username},
 * {@code rabbitmq.host}, {@code rabbitmq.connection.heartbeat}, ... TLS: {@code ssl.enabled}
 * switches TLS on, verified unless {@code ssl.validate.server.certificate} is false; key and
 * trust stores are not read (Warren's TLS runs in Rust, against the system's trusted roots).
 */
public class ConnectionFactoryConfigurator {
    /** The prefix of every key unless another is given. */
    public static final String DEFAULT_PREFIX = "rabbitmq.";
    /** User name. */
    public static final String USERNAME = "username";
    /** Password. */
    public static final String PASSWORD = "password";
    /** Virtual host. */
    public static final String VIRTUAL_HOST = "virtual.host";
    /** Host. */
    public static final String HOST = "host";
    /** Port. */
    public static final String PORT = "port";
    /** Requested channel max. */
    public static final String CONNECTION_CHANNEL_MAX = "connection.channel.max";
    /** Requested frame max. */
    public static final String CONNECTION_FRAME_MAX = "connection.frame.max";
    /** Requested heartbeat, seconds. */
    public static final String CONNECTION_HEARTBEAT = "connection.heartbeat";
    /** Connection timeout, milliseconds. */
    public static final String CONNECTION_TIMEOUT = "connection.timeout";
    /** Handshake timeout, milliseconds. */
    public static final String HANDSHAKE_TIMEOUT = "handshake.timeout";
    /** Shutdown timeout, milliseconds. */
    public static final String SHUTDOWN_TIMEOUT = "shutdown.timeout";
    /** Prefix of client properties. */
    public static final String CLIENT_PROPERTIES_PREFIX = "client.properties.";
    /** Automatic recovery on or off. */
    public static final String CONNECTION_RECOVERY_ENABLED = "connection.recovery.enabled";
    /** Topology recovery on or off. */
    public static final String TOPOLOGY_RECOVERY_ENABLED = "topology.recovery.enabled";
    /** Recovery interval, milliseconds. */
    public static final String CONNECTION_RECOVERY_INTERVAL = "connection.recovery.interval";
    /** Channel RPC timeout, milliseconds. */
    public static final String CHANNEL_RPC_TIMEOUT = "channel.rpc.timeout";
    /** Whether channels check reply types. */
    public static final String CHANNEL_SHOULD_CHECK_RPC_RESPONSE_TYPE = "channel.should.check.rpc.response.type";
    /** NIO on or off (Warren has one I/O implementation: ignored). */
    public static final String USE_NIO = "use.nio";
    /** NIO setting (ignored). */
    public static final String NIO_READ_BYTE_BUFFER_SIZE = "nio.read.byte.buffer.size";
    /** NIO setting (ignored). */
    public static final String NIO_WRITE_BYTE_BUFFER_SIZE = "nio.write.byte.buffer.size";
    /** NIO setting (ignored). */
    public static final String NIO_NB_IO_THREADS = "nio.nb.io.threads";
    /** NIO setting (ignored). */
    public static final String NIO_WRITE_ENQUEUING_TIMEOUT_IN_MS = "nio.write.enqueuing.timeout.in.ms";
    /** NIO setting (ignored). */
    public static final String NIO_WRITE_QUEUE_CAPACITY = "nio.write.queue.capacity";
    /** TLS protocol (ignored: TLS 1.2 or 1.3 is negotiated). */
    public static final String SSL_ALGORITHM = "ssl.algorithm";
    /** TLS on or off. */
    public static final String SSL_ENABLED = "ssl.enabled";
    /** Key store (not read). */
    public static final String SSL_KEY_STORE = "ssl.key.store";
    /** Key store password (not read). */
    public static final String SSL_KEY_STORE_PASSWORD = "ssl.key.store.password";
    /** Key password (not read). */
    public static final String SSL_KEY_PASSWORD = "ssl.key.password";
    /** Key store type (not read). */
    public static final String SSL_KEY_STORE_TYPE = "ssl.key.store.type";
    /** Key store algorithm (not read). */
    public static final String SSL_KEY_STORE_ALGORITHM = "ssl.key.store.algorithm";
    /** Trust store (not read). */
    public static final String SSL_TRUST_STORE = "ssl.trust.store";
    /** Trust store password (not read). */
    public static final String SSL_TRUST_STORE_PASSWORD = "ssl.trust.store.password";
    /** Trust store type (not read). */
    public static final String SSL_TRUST_STORE_TYPE = "ssl.trust.store.type";
    /** Trust store algorithm (not read). */
    public static final String SSL_TRUST_STORE_ALGORITHM = "ssl.trust.store.algorithm";
    /** Whether the server certificate is verified (default true). */
    public static final String SSL_VALIDATE_SERVER_CERTIFICATE = "ssl.validate.server.certificate";
    /** Whether the host name is verified. */
    public static final String SSL_VERIFY_HOSTNAME = "ssl.verify.hostname";
    /** The PEM store type. */
    public static final String PEM_TYPE = "PEM";

    /** Spring Boot's spellings of some keys, accepted too. */
    private static final Map<String, String> ALIASES = Map.of(
            SSL_VALIDATE_SERVER_CERTIFICATE, "ssl.validate-server-certificate",
            SSL_VERIFY_HOSTNAME, "ssl.verify-hostname");

    /** Not needed: every method is static. */
    public ConnectionFactoryConfigurator() {
    }

    /**
     * @param cf the factory to configure
     * @param propertyFileLocation a path, or {@code classpath:name}
     * @throws IOException if the file cannot be read
     */
    public static void load(ConnectionFactory cf, String propertyFileLocation) throws IOException {
        load(cf, propertyFileLocation, DEFAULT_PREFIX);
    }

    /**
     * @param cf the factory to configure
     * @param propertyFileLocation a path, or {@code classpath:name}
     * @param prefix the key prefix
     * @throws IOException if the file cannot be read
     */
    public static void load(ConnectionFactory cf, String propertyFileLocation, String prefix) throws IOException {
        if (propertyFileLocation == null || propertyFileLocation.isEmpty()) {
            throw new IllegalArgumentException("Property file argument cannot be null or empty");
        }
        Properties properties = new Properties();
        try (InputStream in = open(propertyFileLocation)) {
            properties.load(in);
        }
        load(cf, properties, prefix);
    }

    private static InputStream open(String location) throws IOException {
        if (location.startsWith("classpath:")) {
            String name = location.substring("classpath:".length());
            InputStream in = ConnectionFactoryConfigurator.class.getResourceAsStream(name);
            if (in == null) {
                throw new FileNotFoundException("no resource " + name + " on the classpath");
            }
            return in;
        }
        return new FileInputStream(location);
    }

    /**
     * @param cf the factory to configure
     * @param properties the settings, keys prefixed with {@code rabbitmq.}
     */
    public static void load(ConnectionFactory cf, Properties properties) {
        load(cf, properties, DEFAULT_PREFIX);
    }

    /**
     * @param cf the factory to configure
     * @param properties the settings
     * @param prefix the key prefix
     */
    public static void load(ConnectionFactory cf, Properties properties, String prefix) {
        Map<String, String> map = new HashMap<>();
        for (String name : properties.stringPropertyNames()) {
            map.put(name, properties.getProperty(name));
        }
        load(cf, map, prefix);
    }

    /**
     * @param cf the factory to configure
     * @param properties the settings, keys prefixed with {@code rabbitmq.}
     */
    public static void load(ConnectionFactory cf, Map<String, String> properties) {
        load(cf, properties, DEFAULT_PREFIX);
    }

    /**
     * @param cf the factory to configure
     * @param properties the settings
     * @param prefix the key prefix
     */
    public static void load(ConnectionFactory cf, Map<String, String> properties, String prefix) {
        String p = prefix == null ? "" : prefix;
        String uri = properties.get(p + "uri");
        if (uri != null) {
            try {
                cf.setUri(uri);
            } catch (java.net.URISyntaxException | GeneralSecurityException e) {
                throw new IllegalArgumentException("Error while setting AMQP URI", e);
            }
        }
        apply(properties, p, USERNAME, cf, ConnectionFactory::setUsername);
        apply(properties, p, PASSWORD, cf, ConnectionFactory::setPassword);
        apply(properties, p, VIRTUAL_HOST, cf, ConnectionFactory::setVirtualHost);
        apply(properties, p, HOST, cf, ConnectionFactory::setHost);
        apply(properties, p, PORT, cf, (f, v) -> f.setPort(Integer.parseInt(v)));
        apply(properties, p, CONNECTION_CHANNEL_MAX, cf, (f, v) -> f.setRequestedChannelMax(Integer.parseInt(v)));
        apply(properties, p, CONNECTION_FRAME_MAX, cf, (f, v) -> f.setRequestedFrameMax(Integer.parseInt(v)));
        apply(properties, p, CONNECTION_HEARTBEAT, cf, (f, v) -> f.setRequestedHeartbeat(Integer.parseInt(v)));
        apply(properties, p, CONNECTION_TIMEOUT, cf, (f, v) -> f.setConnectionTimeout(Integer.parseInt(v)));
        apply(properties, p, HANDSHAKE_TIMEOUT, cf, (f, v) -> f.setHandshakeTimeout(Integer.parseInt(v)));
        apply(properties, p, SHUTDOWN_TIMEOUT, cf, (f, v) -> f.setShutdownTimeout(Integer.parseInt(v)));
        apply(properties, p, CONNECTION_RECOVERY_ENABLED, cf,
                (f, v) -> f.setAutomaticRecoveryEnabled(Boolean.parseBoolean(v)));
        apply(properties, p, TOPOLOGY_RECOVERY_ENABLED, cf,
                (f, v) -> f.setTopologyRecoveryEnabled(Boolean.parseBoolean(v)));
        apply(properties, p, CONNECTION_RECOVERY_INTERVAL, cf,
                (f, v) -> f.setNetworkRecoveryInterval(Long.parseLong(v)));
        apply(properties, p, CHANNEL_RPC_TIMEOUT, cf, (f, v) -> f.setChannelRpcTimeout(Integer.parseInt(v)));
        apply(properties, p, CHANNEL_SHOULD_CHECK_RPC_RESPONSE_TYPE, cf,
                (f, v) -> f.setChannelShouldCheckRpcResponseType(Boolean.parseBoolean(v)));
        Map<String, Object> clientProperties = new HashMap<>(cf.getClientProperties());
        String clientPrefix = p + CLIENT_PROPERTIES_PREFIX;
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (e.getKey().startsWith(clientPrefix)) {
                String key = e.getKey().substring(clientPrefix.length());
                if (e.getValue() == null || e.getValue().trim().isEmpty()) {
                    clientProperties.remove(key);
                } else {
                    clientProperties.put(key, e.getValue());
                }
            }
        }
        cf.setClientProperties(clientProperties);
        if (Boolean.parseBoolean(lookUp(SSL_ENABLED, properties, p))) {
            String validate = lookUp(SSL_VALIDATE_SERVER_CERTIFICATE, properties, p);
            try {
                if (validate != null && !Boolean.parseBoolean(validate)) {
                    cf.useTlsWithNoVerification();
                } else {
                    cf.enableHostnameVerification();
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("could not switch TLS on", e);
            }
        }
    }

    private static void apply(Map<String, String> properties, String prefix, String key, ConnectionFactory cf,
                              BiConsumer<ConnectionFactory, String> setter) {
        String value = lookUp(key, properties, prefix);
        if (value != null) {
            setter.accept(cf, value.trim());
        }
    }

    /**
     * @param key a key without prefix
     * @param properties the settings
     * @param prefix the key prefix
     * @return the value under the key (or its alias), or null
     */
    public static String lookUp(String key, Map<String, String> properties, String prefix) {
        return lookUp(key, properties, prefix, null);
    }

    /**
     * @param key a key without prefix
     * @param properties the settings
     * @param prefix the key prefix
     * @param defaultValue what to return when the key is absent
     * @return the value under the key (or its alias), or the default
     */
    public static String lookUp(String key, Map<String, String> properties, String prefix, String defaultValue) {
        String value = properties.get(prefix + key);
        if (value == null && ALIASES.containsKey(key)) {
            value = properties.get(prefix + ALIASES.get(key));
        }
        return value == null ? defaultValue : value;
    }
}
