package io.pgephemeral.broker;

import java.time.Duration;

/** The longest lifetime the broker grants; longer requests get the maximum, and are told so. */
public record DurationPolicy(Duration maximum) {

    public DurationPolicy {
        if (maximum.isNegative() || maximum.isZero()) {
            throw new IllegalArgumentException("the maximum TTL must be positive");
        }
    }

    public Duration grant(Duration requested) {
        return requested.compareTo(maximum) > 0 ? maximum : requested;
    }
}
