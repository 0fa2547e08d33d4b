package dev.warren.client;

/** A consumer was cancelled by the broker while a caller waited on it. */
public class ConsumerCancelledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A cancellation. */
    public ConsumerCancelledException() {
    }

    /** @return a copy with this exception as its cause (for rethrowing on another thread) */
    public ConsumerCancelledException sensibleClone() {
        ConsumerCancelledException copy = new ConsumerCancelledException();
        copy.initCause(this);
        return copy;
    }
}
