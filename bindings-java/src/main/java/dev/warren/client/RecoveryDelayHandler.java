package dev.warren.client;

import java.util.List;

/**
 * How long automatic recovery waits before each attempt. Warren's core waits a fixed interval
 * between attempts: a connection uses the delay this handler gives for the first attempt
 * ({@code getDelay(0)}) as that interval.
 */
public interface RecoveryDelayHandler {
    /**
     * @param recoveryAttempts attempts made so far
     * @return milliseconds to wait before the next one
     */
    long getDelay(int recoveryAttempts);

    /** The same delay before every attempt. */
    class DefaultRecoveryDelayHandler implements RecoveryDelayHandler {
        /** The delay, in milliseconds. */
        private final long networkRecoveryInterval;

        /** @param networkRecoveryInterval the delay before each attempt, in milliseconds */
        public DefaultRecoveryDelayHandler(long networkRecoveryInterval) {
            this.networkRecoveryInterval = networkRecoveryInterval;
        }

        @Override
        public long getDelay(int recoveryAttempts) {
            return networkRecoveryInterval;
        }
    }

    /** Delays from a list (the last repeats); by default the Fibonacci numbers of seconds from 2 s. */
    class ExponentialBackoffDelayHandler implements RecoveryDelayHandler {
        /** The delays, in milliseconds. */
        private final List<Long> sequence;

        /** Delays of 2, 3, 5, 8, 13 and 21 seconds. */
        public ExponentialBackoffDelayHandler() {
            this(List.of(2000L, 3000L, 5000L, 8000L, 13000L, 21000L, 34000L));
        }

        /** @param sequence the delays in milliseconds, at least one */
        public ExponentialBackoffDelayHandler(List<Long> sequence) {
            if (sequence == null || sequence.isEmpty()) {
                throw new IllegalArgumentException("the delay sequence must not be empty");
            }
            this.sequence = List.copyOf(sequence);
        }

        @Override
        public long getDelay(int recoveryAttempts) {
            return sequence.get(Math.min(Math.max(recoveryAttempts, 0), sequence.size() - 1));
        }
    }
}
