package dev.warren.client;

/**
 * Chooses the SASL mechanism from those the broker offers. Warren's core speaks PLAIN, AMQPLAIN
 * and EXTERNAL itself; see {@link DefaultSaslConfig}.
 */
public interface SaslConfig {
    /**
     * @param mechanisms the mechanisms the broker offers
     * @return the one to use, or null if none fits
     */
    SaslMechanism getSaslMechanism(String[] mechanisms);
}
