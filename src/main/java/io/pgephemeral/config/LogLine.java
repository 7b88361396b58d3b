package io.pgephemeral.config;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The broker's log line, written directly: {@code 2026-12-01T10:00:00.000Z INFO  Escalation - text},
 * then the stack trace if there is one. It is what logback's pattern
 * {@value #EQUIVALENT_PATTERN} writes (a test holds the two to the same output). Logback's
 * {@code PatternLayout} would parse that pattern at start-up and first build its table of every
 * converter it knows, each a class to load: 160 classes and about 45 ms of each cold start, for
 * one fixed format.
 */
final class LogLine extends LayoutBase<ILoggingEvent> {

    /** The logback pattern this layout writes the same lines as. */
    static final String EQUIVALENT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC} %-5level %logger{0} - %msg%n";

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(128);
        TIME.formatTo(Instant.ofEpochMilli(event.getTimeStamp()), line);
        String level = event.getLevel().toString();
        line.append(' ').append(level);
        for (int pad = level.length(); pad < 5; pad++) {
            line.append(' ');
        }
        String logger = event.getLoggerName();
        line.append(' ').append(logger, logger.lastIndexOf('.') + 1, logger.length())
                .append(" - ").append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(ThrowableProxyUtil.asString(thrown)); // each line of it ends with a separator
        }
        return line.toString();
    }
}
