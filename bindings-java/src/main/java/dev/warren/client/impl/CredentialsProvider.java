package dev.warren.client.impl;

import java.time.Duration;

/**
 * Gives the user name and password when a connection opens (see
 * {@link dev.warren.client.ConnectionFactory#setCredentialsProvider}).
 */
public interface CredentialsProvider {
    /** @return the user name */
    String getUsername();

    /** @return the password */
    String getPassword();

    /** @return how long the credentials stay valid, or null if they do not expire */
    default Duration getTimeBeforeExpiration() {
        return null;
    }

    /** Called before the credentials are read again; nothing by default. */
    default void refresh() {
    }
}
