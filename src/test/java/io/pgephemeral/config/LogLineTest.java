package io.pgephemeral.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The broker's log line, held to what logback's pattern it replaced writes. */
class LogLineTest {

    private final LoggerContext context = new LoggerContext();

    @Test
    void writesWhatThePatternWrote() {
        PatternLayout pattern = new PatternLayout();
        pattern.setContext(context);
        pattern.setPattern(LogLine.EQUIVALENT_PATTERN);
        pattern.start();
        LogLine line = new LogLine();
        line.setContext(context);
        line.start();

        IllegalStateException nested = new IllegalStateException("the ledger is behind",
                new SQLException("relation missing", "42P01"));
        LoggingEvent[] events = {
            event("io.pgephemeral.broker.Escalation", Level.INFO, 1_764_583_200_007L, null,
                    "issued {} for {}", "pge_alice_1a2b", "alice@acme.example"),
            event("io.pgephemeral.function.InvocationHandler", Level.ERROR, 1_764_583_200_999L, nested,
                    "internal error, reference {}", "7f0c"),
            event("Toplevel", Level.WARN, 0L, null, "no package, {} pad", 4),
            event("io.pgephemeral.postgres.PostgresRoles", Level.DEBUG, 1_893_456_000_123L, null, "plain"),
        };
        for (LoggingEvent event : events) {
            assertEquals(pattern.doLayout(event), line.doLayout(event));
        }
        assertEquals("2025-12-01T10:00:00.007Z INFO  Escalation - issued pge_alice_1a2b for alice@acme.example"
                + System.lineSeparator(), line.doLayout(events[0]));
    }

    private LoggingEvent event(String logger, Level level, long millis, Throwable thrown, String message, Object... args) {
        LoggingEvent event = new LoggingEvent(LogLineTest.class.getName(), context.getLogger(logger), level, message,
                thrown, args);
        event.setTimeStamp(millis);
        return event;
    }
}
