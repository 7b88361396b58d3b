package io.pgephemeral.database;

import io.micronaut.core.annotation.Nullable;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Instants as statement parameters. */
public final class Timestamps {

    private Timestamps() {
    }

    /**
     * An instant as a {@code timestamptz} parameter. pgjdbc has no binding for {@link Instant};
     * an {@link OffsetDateTime} in UTC is sent with its offset, so the session's TimeZone never
     * shifts it. Null stays null (SQL NULL).
     */
    public static @Nullable OffsetDateTime utc(@Nullable Instant at) {
        return at == null ? null : OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
    }
}
