package dev.warren.client;

/** Thrown when the broker refused the credentials (403 ACCESS_REFUSED at login). */
public class AuthenticationFailureException extends PossibleAuthenticationFailureException {
    private static final long serialVersionUID = 1L;

    /** @param reason the broker's explanation */
    public AuthenticationFailureException(String reason) {
        super(reason);
    }
}
