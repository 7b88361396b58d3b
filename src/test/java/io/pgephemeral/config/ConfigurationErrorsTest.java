package io.pgephemeral.config;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A setting an operator mistyped is answered with one line that names the environment variable and
 * says what it accepts: the same line from the Lambda handler and from the command line, with no
 * stack trace and nothing changed.
 */
class ConfigurationErrorsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "broker.secret-store  | s3         | the broker is misconfigured: BROKER_SECRET_STORE must be aws or local, got 's3'",
            "broker.duration-unit | fortnights | the broker is misconfigured: BROKER_DURATION_UNIT must be seconds, minutes or hours, got 'fortnights'"})
    void aMistypedSettingIsNamedInOneLine(String key, String value, String expected, @org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        String run = Events.newRunId();
        Map<String, Object> event = Events.escalate(run, "config.errors@acme.example", "readonly", 600);
        long ledgerBefore = Db.ledgerSize();

        SymResponse lambda;
        try (Broker broker = new Broker(Map.of(key, value))) {
            lambda = broker.handle(event);
        }
        assertEquals(List.of(expected), lambda.errors(), "from the Lambda handler");

        Path file = dir.resolve("event.json");
        Files.write(file, TestEnvironment.get().json().writeValueAsBytes(event));
        Cli.Run cli = Cli.inProcess(Map.of(key, value), "invoke", file.toString());
        assertEquals(1, cli.exit(), cli.toString());
        assertTrue(cli.stdout().contains("\"errors\":[\"" + expected + "\"]"), cli.toString());
        assertFalse(cli.stderr().contains("\tat ") || cli.stderr().contains("internal error"), cli.toString());
        assertTrue(cli.stderr().lines().count() <= 1, "at most one log line: " + cli);

        assertEquals(ledgerBefore, Db.ledgerSize(), "nothing recorded");
    }
}
