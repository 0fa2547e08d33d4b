package dev.warren.client.impl;

/** A {@link CredentialsProvider} with a fixed user name and password. */
public class DefaultCredentialsProvider implements CredentialsProvider {
    /** The user name. */
    private final String username;
    /** The password. */
    private final String password;

    /**
     * @param username the user name
     * @param password the password
     */
    public DefaultCredentialsProvider(String username, String password) {
        this.username = username;
        this.password = password;
    }

    @Override
    public String getUsername() {
        return username;
    }

    @Override
    public String getPassword() {
        return password;
    }
}
