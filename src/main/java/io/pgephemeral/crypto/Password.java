package io.pgephemeral.crypto;

import java.util.Objects;

/**
 * A generated password. It prints as {@code [redacted]} so that no log line, exception message or
 * record {@code toString} can carry it by accident; only the credential store calls {@link #reveal()}.
 */
public final class Password {

    private final String value;

    public Password(String value) {
        this.value = Objects.requireNonNull(value);
    }

    public String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return "[redacted]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Password p && p.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
