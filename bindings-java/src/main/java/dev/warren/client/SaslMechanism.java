package dev.warren.client;

/** A SASL mechanism offered to the broker during the handshake. */
public interface SaslMechanism {
    /** @return its name, e.g. {@code "PLAIN"} */
    String getName();

    /**
     * @param challenge the broker's challenge (null for the first response)
     * @param username the user name
     * @param password the password
     * @return the response
     */
    LongString handleChallenge(LongString challenge, String username, String password);
}
