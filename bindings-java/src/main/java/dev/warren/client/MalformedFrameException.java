package dev.warren.client;

/** The broker sent bytes that are not valid AMQP. */
public class MalformedFrameException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    /** @param reason what was wrong */
    public MalformedFrameException(String reason) {
        super(reason);
    }
}
