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
            "broker.duration-unit | fortnights | the broker is misconfigured: BROKER_DURATION_UNIT must be seconds, minutes or hours, got 'fortnights'",
            "broker.creator-roles | ephemeral_creator_00,,ephemeral_creator_01 | the broker is misconfigured: BROKER_CREATOR_ROLES: an empty name in 'ephemeral_creator_00,,ephemeral_creator_01'; separate the role names with single commas",
            "broker.creator-roles | ephemeral_creator_00,ephemeral_managed | the broker is misconfigured: BROKER_CREATOR_ROLES: 'ephemeral_managed' is the marker role (BROKER_MARKER_ROLE); list the creator roles of schema/setup/bot-setup-pg16.sql",
            "broker.creator-roles | ephemeral_creator_00,ephemeral_creator_00 | the broker is misconfigured: BROKER_CREATOR_ROLES: 'ephemeral_creator_00' is listed twice"})
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

    /**
     * Micronaut substitutes a setting's default when the value set does not convert: a mistyped
     * number was silently replaced (BROKER_CONNECTION_LIMIT=abc became 5), and the durations that
     * failed said "duration ... is not understood" without the variable. Each is now refused by
     * name, whichever event comes first.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "broker.connection-limit     | abc   | BROKER_CONNECTION_LIMIT must be a whole number, got 'abc'",
            "broker.password-length      | many  | BROKER_PASSWORD_LENGTH must be a whole number, got 'many'",
            "broker.sweep-batch-size     | 1e3   | BROKER_SWEEP_BATCH_SIZE must be a whole number, got '1e3'",
            "broker.lock-key             | 0x10  | BROKER_LOCK_KEY must be a whole number, got '0x10'",
            "broker.connect-port         | 99999 | BROKER_CONNECT_PORT must be a port number (1 to 65535), got '99999'",
            "broker.lock-timeout         | soon  | BROKER_LOCK_TIMEOUT: duration 'soon' is not understood",
            "broker.in-progress-timeout  | 0     | BROKER_IN_PROGRESS_TIMEOUT: duration must be positive",
            "broker.sweep-lookback       | -1d   | BROKER_SWEEP_LOOKBACK: duration must be positive",
            "broker.sweep-time-budget    | 40 s  | BROKER_SWEEP_TIME_BUDGET: duration '40 s' is not understood"})
    void aValueThatDoesNotConvertIsRefusedByNameNotReplacedByTheDefault(String key, String value, String expected) {
        long ledgerBefore = Db.ledgerSize();
        try (Broker broker = new Broker(Map.of(key, value))) {
            for (SymResponse response : List.of(
                    broker.handle(Events.escalate(Events.newRunId(), "config.values@acme.example", "readonly", 600)),
                    broker.sweep())) {
                assertEquals(1, response.errors().size(), response.toString());
                assertTrue(response.errors().get(0).startsWith("the broker is misconfigured: " + expected),
                        response.errors().get(0));
            }
        }
        assertEquals(ledgerBefore, Db.ledgerSize(), "nothing recorded");
    }

    /** Every format operators write today still reads as before. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"30 | PT30S", "30s | PT30S", "PT30S | PT30S", "pt1m | PT1M", "1h30m | PT1H30M",
            "2d | PT48H", " 12h  | PT12H"})
    void everyDurationFormatStillReads(String text, String expected) {
        java.time.Duration parsed = BrokerSettings.duration("broker.lock-timeout", text);
        assertEquals(java.time.Duration.parse(expected), parsed);
    }
}
