package dev.warren.client;

import java.io.IOException;
import java.net.Socket;

/** The default socket configuration: TCP_NODELAY on (Warren's native sockets always have it). */
public class DefaultSocketConfigurator implements SocketConfigurator {
    /** The default configurator. */
    public DefaultSocketConfigurator() {
    }

    @Override
    public void configure(Socket socket) throws IOException {
        socket.setTcpNoDelay(true);
    }
}
