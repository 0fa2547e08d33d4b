package dev.warren.client;

/** An RPC request published as mandatory could not be routed (no server listens). */
public class UnroutableRpcRequestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Return returnMessage;

    /** @param returnMessage the returned request */
    public UnroutableRpcRequestException(Return returnMessage) {
        super("RPC request was returned unroutable: " + returnMessage.getReplyCode() + " "
                + returnMessage.getReplyText());
        this.returnMessage = returnMessage;
    }

    /** @return the returned request */
    public Return getReturnMessage() {
        return returnMessage;
    }
}
