package dev.warren.client;

/** Called with each returned (unroutable mandatory) message, on the channel's return thread. */
@FunctionalInterface
public interface ReturnCallback {
    /** @param returnMessage the returned message */
    void handle(Return returnMessage);
}
