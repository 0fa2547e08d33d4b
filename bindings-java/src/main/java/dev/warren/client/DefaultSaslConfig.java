package dev.warren.client;

import dev.warren.client.impl.LongStringHelper;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The SASL configurations applications pick from: {@link #PLAIN} (the default) and
 * {@link #EXTERNAL} (client certificate). {@link #ANONYMOUS} is accepted by the API but Warren's
 * core does not offer it, so a connection with it fails with an
 * {@link UnsupportedOperationException}.
 */
public class DefaultSaslConfig implements SaslConfig {
    /** User name and password (the default). */
    public static final DefaultSaslConfig PLAIN = new DefaultSaslConfig("PLAIN");
    /** Authentication by the TLS client certificate. */
    public static final DefaultSaslConfig EXTERNAL = new DefaultSaslConfig("EXTERNAL");
    /** No authentication (RabbitMQ 4's ANONYMOUS mechanism). */
    public static final DefaultSaslConfig ANONYMOUS = new DefaultSaslConfig("ANONYMOUS");

    /** The mechanism's name. */
    private final String mechanism;

    private DefaultSaslConfig(String mechanism) {
        this.mechanism = mechanism;
    }

    /** @return the mechanism's name ({@code PLAIN}, {@code EXTERNAL} or {@code ANONYMOUS}) */
    public String getMechanismName() {
        return mechanism;
    }

    @Override
    public SaslMechanism getSaslMechanism(String[] serverMechanisms) {
        if (!Arrays.asList(serverMechanisms).contains(mechanism)) {
            return null;
        }
        return new SaslMechanism() {
            @Override
            public String getName() {
                return mechanism;
            }

            @Override
            public LongString handleChallenge(LongString challenge, String username, String password) {
                if ("PLAIN".equals(mechanism)) {
                    return LongStringHelper.asLongString(("\0" + username + "\0" + password)
                            .getBytes(StandardCharsets.UTF_8));
                }
                return LongStringHelper.asLongString(new byte[0]);
            }
        };
    }

    @Override
    public String toString() {
        return mechanism;
    }
}
