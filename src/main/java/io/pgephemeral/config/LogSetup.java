package io.pgephemeral.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

import java.util.Locale;
import java.util.Set;

/**
 * The broker's logging, set up in code: one line per event on stderr (CloudWatch collects it in
 * Lambda, and {@code invoke} keeps stdout for the response JSON), the broker's own loggers at
 * {@code PG_EPHEMERAL_LOG_LEVEL} (default {@code INFO}), everything else at {@code WARN}.
 *
 * <p>Code rather than a {@code logback.xml}: reading XML loads logback's Joran and the JDK's XML
 * parser, about 500 classes and a tenth of a second of every cold start before the first line of
 * the broker runs. Logback finds this class through {@code META-INF/services}. An operator's own
 * file ({@code -Dlogback.configurationFile=...}) still wins: this then steps aside.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {

    /** The variable (or system property) that sets the broker's own log level. */
    public static final String LEVEL_VARIABLE = "PG_EPHEMERAL_LOG_LEVEL";
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY) != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LogLine layout = new LogLine();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        context.getLogger("io.pgephemeral").setLevel(brokerLevel(setting()));
        // `migrate` reports the outcome itself, in one line with the server's SQLSTATE and message;
        // Flyway's own lines would say the same less usefully.
        context.getLogger("org.flywaydb").setLevel(Level.OFF);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** The setting as logback's own files read a variable: a system property first, then the environment. */
    private static String setting() {
        String value = System.getProperty(LEVEL_VARIABLE);
        return value != null ? value : System.getenv(LEVEL_VARIABLE);
    }

    /**
     * The broker's level for a setting: unset or blank is {@code INFO}; a value that names no level
     * is {@code INFO} too, said once on stderr, rather than logback's own fallback to {@code DEBUG},
     * which would log more than the operator asked for.
     */
    static Level brokerLevel(String setting) {
        if (setting == null || setting.isBlank()) {
            return Level.INFO;
        }
        String name = setting.trim().toUpperCase(Locale.ROOT);
        if (!LEVELS.contains(name)) {
            System.err.println(LEVEL_VARIABLE + "=" + setting.strip() + " is not a log level (use one of TRACE, "
                    + "DEBUG, INFO, WARN, ERROR, OFF); logging at INFO");
            return Level.INFO;
        }
        return Level.toLevel(name);
    }
}
