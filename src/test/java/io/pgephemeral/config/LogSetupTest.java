package io.pgephemeral.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The logging set-up in code ({@link LogSetup}) that replaced {@code logback.xml}. */
class LogSetupTest {

    @AfterEach
    void clear() {
        System.clearProperty(LogSetup.LEVEL_VARIABLE);
        System.clearProperty("logback.configurationFile");
    }

    /** The logging this JVM runs with came from LogSetup: logback found it as a service. */
    @Test
    void logbackSetsItselfUpThroughLogSetup() {
        LoggerContext running = (LoggerContext) LoggerFactory.getILoggerFactory();
        assertStderrOnly(running.getLogger(Logger.ROOT_LOGGER_NAME));
        assertEquals(Level.WARN, running.getLogger(Logger.ROOT_LOGGER_NAME).getLevel());
        assertEquals(Level.OFF, running.getLogger("org.flywaydb").getLevel());
    }

    @Test
    void theBrokersLevelComesFromTheVariableOrItsSystemProperty() {
        System.setProperty(LogSetup.LEVEL_VARIABLE, "debug");
        LoggerContext context = configured();
        assertEquals(Level.DEBUG, context.getLogger("io.pgephemeral").getLevel());
        assertEquals(Level.DEBUG, context.getLogger("io.pgephemeral.broker.Escalation").getEffectiveLevel());
        assertEquals(Level.WARN, context.getLogger("software.amazon.awssdk").getEffectiveLevel());
        assertStderrOnly(context.getLogger(Logger.ROOT_LOGGER_NAME));
    }

    /**
     * Logback's own reading of an unknown level is DEBUG, more than anyone asked for; a value that
     * names no level logs at INFO.
     */
    @Test
    void unsetBlankOrUnknownLevelsAreInfo() {
        assertEquals(Level.INFO, LogSetup.brokerLevel(null));
        assertEquals(Level.INFO, LogSetup.brokerLevel(" "));
        assertEquals(Level.INFO, LogSetup.brokerLevel("verbose"));
        assertEquals(Level.WARN, LogSetup.brokerLevel(" warn "));
        assertEquals(Level.OFF, LogSetup.brokerLevel("OFF"));
    }

    /** An operator's own logback file is honoured: LogSetup leaves the context to it. */
    @Test
    void anOperatorsOwnFileWins() {
        System.setProperty("logback.configurationFile", "/etc/pg-ephemeral/logback.xml");
        LoggerContext context = new LoggerContext();
        LogSetup setup = new LogSetup();
        setup.setContext(context);
        assertEquals(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY, setup.configure(context));
        assertNull(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR"));
    }

    private static LoggerContext configured() {
        LoggerContext context = new LoggerContext();
        LogSetup setup = new LogSetup();
        setup.setContext(context);
        assertEquals(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, setup.configure(context));
        return context;
    }

    private static void assertStderrOnly(Logger root) {
        List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
        root.iteratorForAppenders().forEachRemaining(appenders::add);
        // Tests may add their own capturing appenders; the one the set-up made is on stderr.
        ConsoleAppender<ILoggingEvent> stderr = assertInstanceOf(ConsoleAppender.class, root.getAppender("STDERR"));
        assertEquals("System.err", stderr.getTarget());
        assertInstanceOf(LogLine.class, assertInstanceOf(LayoutWrappingEncoder.class, stderr.getEncoder()).getLayout());
        assertEquals(1, appenders.stream().filter(a -> a instanceof ConsoleAppender).count());
    }
}
