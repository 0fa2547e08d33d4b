package dev.warren.client;

import javax.net.ssl.SSLContext;

/** Makes an {@link SSLContext} per connection name (see {@link ConnectionFactory#setSslContextFactory}). */
@FunctionalInterface
public interface SslContextFactory {
    /**
     * @param name the connection's name
     * @return the TLS context for it
     */
    SSLContext create(String name);
}
