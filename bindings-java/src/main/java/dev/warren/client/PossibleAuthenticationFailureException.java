package dev.warren.client;

/** Thrown when the broker closed the connection during the handshake, perhaps over the credentials. */
public class PossibleAuthenticationFailureException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    /** @param cause the failure */
    public PossibleAuthenticationFailureException(Throwable cause) {
        super("Possibly caused by authentication failure", cause);
    }

    /** @param reason the failure */
    public PossibleAuthenticationFailureException(String reason) {
        super(reason);
    }
}
