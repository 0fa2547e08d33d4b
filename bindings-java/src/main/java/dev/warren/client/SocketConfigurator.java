package dev.warren.client;

import java.io.IOException;
import java.net.Socket;

/**
 * Configures a connection's socket before it connects. Warren's sockets are Rust sockets, not
 * {@link Socket}s: the only configurator Warren honours is {@link DefaultSocketConfigurator}
 * (TCP_NODELAY, which Warren always sets); setting another one makes
 * {@code ConnectionFactory.newConnection} throw {@link UnsupportedOperationException}.
 */
@FunctionalInterface
public interface SocketConfigurator {
    /**
     * @param socket the socket to configure
     * @throws IOException if it cannot be configured
     */
    void configure(Socket socket) throws IOException;

    /**
     * @param that a configurator to apply after this one
     * @return both, in order
     */
    default SocketConfigurator andThen(SocketConfigurator that) {
        return socket -> {
            configure(socket);
            that.configure(socket);
        };
    }
}
