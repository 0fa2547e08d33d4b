package dev.warren.client;

/**
 * Told of every command written and read. Warren's frames never pass through Java, so only
 * {@link #NO_OP} can be set; another listener makes {@code newConnection} throw
 * {@link UnsupportedOperationException}.
 */
public interface TrafficListener {
    /** The listener that does nothing (the default). */
    TrafficListener NO_OP = new TrafficListener() {
        @Override
        public void write(Command outboundCommand) {
        }

        @Override
        public void read(Command inboundCommand) {
        }
    };

    /** @param outboundCommand a command sent */
    void write(Command outboundCommand);

    /** @param inboundCommand a command received */
    void read(Command inboundCommand);
}
