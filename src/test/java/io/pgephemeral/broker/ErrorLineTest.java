package io.pgephemeral.broker;

import io.pgephemeral.database.SqlErrors;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

import java.io.IOException;
import java.io.UncheckedIOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one reading of an exception as the one line a person sees. */
class ErrorLineTest {

    @Test
    void theFirstLineOfTheMessageStripped() {
        assertEquals("connection refused", ErrorLine.of(new IllegalStateException("  connection refused \n\tat x.y(Z.java:1)\nmore")));
        assertEquals("after blank lines", ErrorLine.of(new IllegalStateException("\n\n after blank lines\nsecond")));
    }

    @Test
    void theTypeWhenThereIsNoMessage() {
        assertEquals("NullPointerException", ErrorLine.of(new NullPointerException()));
        assertEquals("IllegalStateException", ErrorLine.of(new IllegalStateException(" \n ")));
        assertEquals("fallback", ErrorLine.firstLine(null, "fallback"));
    }

    @Test
    void theRootIsWhereAChainOfWrappersBegan() {
        Exception wrapped = new RuntimeException("bean creation failed\nPath taken: a -> b",
                new UncheckedIOException(new IOException("BROKER_X must be y, got 'z'")));
        assertEquals("BROKER_X must be y, got 'z'", ErrorLine.of(ErrorLine.root(wrapped)));
    }

    @Test
    void aDatabaseErrorKeepsItsSqlState() {
        PSQLException e = new PSQLException("role \"x\" does not exist\n  Hint: look elsewhere", PSQLState.UNDEFINED_OBJECT);
        assertEquals("role \"x\" does not exist (SQLSTATE 42704)", SqlErrors.oneLine(e));
    }
}
