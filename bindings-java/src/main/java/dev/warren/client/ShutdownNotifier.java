package dev.warren.client;

/** Something that shuts down and tells {@link ShutdownListener}s: a connection or a channel. */
public interface ShutdownNotifier {
    /**
     * Adds a listener; one added after the shutdown is called at once.
     *
     * @param listener the listener
     */
    void addShutdownListener(ShutdownListener listener);

    /** @param listener a listener to remove */
    void removeShutdownListener(ShutdownListener listener);

    /** @return why it shut down, or null while it is open */
    ShutdownSignalException getCloseReason();

    /** Calls the listeners with the close reason (nothing happens while open). */
    void notifyListeners();

    /** @return whether it is open (a recovering connection counts as open) */
    boolean isOpen();
}
