package dev.warren.client;

import java.net.InetSocketAddress;
import java.util.Objects;

/** A broker's host and port, for {@link ConnectionFactory#newConnection(Address[])}. */
public class Address {
    private final String host;
    private final int port;

    /**
     * @param host the host name or IP address
     * @param port the port, or -1 for the default (5672, 5671 with TLS)
     */
    public Address(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** @param host the host name or IP address, on the default port */
    public Address(String host) {
        this(host, ConnectionFactory.USE_DEFAULT_PORT);
    }

    /** @return the host */
    public String getHost() {
        return host;
    }

    /** @return the port, or -1 for the default */
    public int getPort() {
        return port;
    }

    /**
     * @param addressString {@code host}, {@code host:port} or {@code [ipv6]:port}
     * @return the host part
     */
    public static String parseHost(String addressString) {
        return parseAddress(addressString).getHost();
    }

    /**
     * @param addressString {@code host}, {@code host:port} or {@code [ipv6]:port}
     * @return the port part, or -1
     */
    public static int parsePort(String addressString) {
        return parseAddress(addressString).getPort();
    }

    /**
     * @param addressString an address string
     * @return whether it names a port
     */
    public static boolean isHostWithPort(String addressString) {
        return parseAddress(addressString).getPort() != ConnectionFactory.USE_DEFAULT_PORT;
    }

    /**
     * Parses {@code host}, {@code host:port}, {@code [ipv6]} or {@code [ipv6]:port}.
     *
     * @param addressString the address
     * @return the address
     */
    public static Address parseAddress(String addressString) {
        String s = addressString.trim();
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unbalanced brackets in " + addressString);
            }
            String host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (rest.startsWith(":")) {
                return new Address(host, Integer.parseInt(rest.substring(1)));
            }
            return new Address(host);
        }
        int colon = s.lastIndexOf(':');
        if (colon >= 0 && s.indexOf(':') == colon) {
            return new Address(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
        }
        return new Address(s);
    }

    /**
     * @param addresses comma-separated addresses
     * @return the addresses
     */
    public static Address[] parseAddresses(String addresses) {
        String[] parts = addresses.split(" *, *");
        Address[] result = new Address[parts.length];
        for (int i = 0; i < parts.length; i++) {
            result[i] = parseAddress(parts[i]);
        }
        return result;
    }

    /**
     * @param defaultPort the port to use when this address names none
     * @return a socket address (resolved)
     */
    public InetSocketAddress toInetSocketAddress(int defaultPort) {
        return new InetSocketAddress(host, port == ConnectionFactory.USE_DEFAULT_PORT ? defaultPort : port);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Address)) {
            return false;
        }
        Address a = (Address) o;
        return host.equals(a.host) && port == a.port;
    }

    @Override
    public String toString() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return port == ConnectionFactory.USE_DEFAULT_PORT ? h : h + ":" + port;
    }
}
