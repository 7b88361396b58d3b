package io.pgephemeral.database;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Quoting for the few values that must be written into utility statements (CREATE ROLE, GRANT,
 * DROP ROLE take no bind parameters). Every identifier is quoted, always.
 */
public final class Sql {

    /** Always with an explicit offset: a bare timestamp would be read in the session's TimeZone. */
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'+00'").withZone(ZoneOffset.UTC);

    private Sql() {
    }

    /** A quoted identifier: {@code "name"}, with inner quotes doubled. */
    public static String ident(String name) {
        if (name.isEmpty() || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a usable identifier");
        }
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** A standard string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
    public static String literal(String value) {
        if (value.indexOf('\0') >= 0 || value.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("refusing to quote a literal with a NUL or backslash");
        }
        return '\'' + value.replace("'", "''") + '\'';
    }

    /** A timestamptz literal in UTC with its offset, e.g. {@code '2026-11-23 10:00:00+00'}. */
    public static String timestamp(Instant instant) {
        return literal(TIMESTAMP.format(instant));
    }
}
