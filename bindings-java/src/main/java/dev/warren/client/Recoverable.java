package dev.warren.client;

/** A connection or channel that automatic recovery restores after the link is lost. */
public interface Recoverable {
    /** @param listener told of recovery starts and ends */
    void addRecoveryListener(RecoveryListener listener);

    /** @param listener a listener to remove */
    void removeRecoveryListener(RecoveryListener listener);
}
