package dev.warren.client;

/** The broker sent a method the channel did not expect. */
public class UnexpectedMethodError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The method. */
    private final transient Method method;

    /** @param method the unexpected method */
    public UnexpectedMethodError(Method method) {
        this.method = method;
    }

    /** @return the unexpected method */
    public Method getMethod() {
        return method;
    }

    @Override
    public String toString() {
        return super.toString() + ": " + method;
    }
}
