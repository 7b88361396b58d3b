package io.pgephemeral.database;

import io.pgephemeral.testing.SqlScript;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SqlTest {

    @Test
    void identifiersAreAlwaysQuoted() {
        assertEquals("\"readonly\"", Sql.ident("readonly"));
        assertEquals("\"a\"\"; DROP ROLE x; --\"", Sql.ident("a\"; DROP ROLE x; --"));
        assertThrows(IllegalArgumentException.class, () -> Sql.ident(""));
        assertThrows(IllegalArgumentException.class, () -> Sql.ident("a\0b"));
    }

    @Test
    void literalsDoubleQuotesAndRefuseBackslashes() {
        assertEquals("'it''s'", Sql.literal("it's"));
        assertThrows(IllegalArgumentException.class, () -> Sql.literal("a\\b"));
    }

    @Test
    void timestampsCarryAnExplicitUtcOffset() {
        assertEquals("'2026-11-23 10:00:00+00'", Sql.timestamp(Instant.parse("2026-11-23T10:00:00Z")));
    }

    @Test
    void scriptsSplitIntoStatements() {
        assertEquals(List.of("CREATE ROLE a;", "GRANT a\n  TO b;"),
                SqlScript.statements("-- comment\nCREATE ROLE a;\n\\password a\nGRANT a\n  TO b;\n"));
    }
}
