package io.pgephemeral.cli;

import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code invoke} reads an event strictly: a key given twice, anything but one JSON object, or
 * text after it is refused with one error line in the response, the exit status of any other bad
 * input, and nothing created. Before, the last of two keys won, so an event that says
 * {@code "type": "deescalate"} to a reader that keeps the first key issued a credential here.
 */
class StrictEventReadingTest {

    private static final TestEnvironment env = TestEnvironment.get();

    /** A valid escalate of a fresh run, as text, with {@code "type": "escalate"} in its event object. */
    private static String escalateText() throws Exception {
        String text = new String(env.json().writeValueAsBytes(
                Events.escalate(Events.newRunId(), "strict.json@acme.example", "readonly", 600)), StandardCharsets.UTF_8);
        assertTrue(text.contains("\"type\":\"escalate\""), text);
        return text;
    }

    static Stream<Arguments> notOneObject() throws Exception {
        String escalate = escalateText();
        return Stream.of(
                Arguments.of("a key twice, the last one escalates",
                        escalate.replace("\"type\":\"escalate\"", "\"type\":\"deescalate\",\"type\":\"escalate\""),
                        "duplicate"),
                Arguments.of("a top-level key twice",
                        escalate.replaceFirst("^\\{", "{\"fields\":{\"duration\":1},"), "duplicate"),
                Arguments.of("the literal null", "null", "must be a JSON object, got null"),
                Arguments.of("an empty array", "[]", "must be a JSON object, got an array"),
                Arguments.of("an array holding an escalate", "[" + escalate + "]", "must be a JSON object, got an array"),
                Arguments.of("a number", "42", "must be a JSON object, got a number"),
                Arguments.of("a string", "\"escalate\"", "must be a JSON object, got a string"),
                Arguments.of("a boolean", "true", "must be a JSON object, got true"),
                Arguments.of("nothing at all", "", "the event is empty"),
                Arguments.of("two objects", escalate + " " + escalate, "more after"),
                Arguments.of("a cut-off object", escalate.substring(0, escalate.length() / 2), "not valid JSON"),
                Arguments.of("nesting deeper than any event", "{\"a\":".repeat(40) + "1" + "}".repeat(40),
                        "nesting depth"),
                Arguments.of("more than a mebibyte", escalate.replace("\"reason\":\"",
                        "\"reason\":\"" + "x".repeat(1 << 20)), "at most 1048576"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notOneObject")
    void isRefusedWithOneLineTheUsualExitStatusAndNothingCreated(String what, String text, String expected)
            throws Exception {
        int usualExit = badTargetExit();
        List<String> rolesBefore = Db.managedRoles();
        long ledgerBefore = Db.ledgerSize();
        int secretsBefore = env.secretsManager().calls("CreateSecret");
        Path file = Files.createTempFile("event", ".json");
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
            Cli.Run run = Cli.inProcess(Map.of(), "invoke", file.toString());

            assertEquals(usualExit, run.exit(), what + ": " + run);
            List<String> lines = run.stdout().lines().toList();
            assertEquals(1, lines.size(), what + ": one response line: " + run);
            Map<String, Object> response = env.json().readValue(lines.get(0), TestEnvironment.MAP);
            assertEquals(Map.of(), response.get("body"), what);
            List<?> errors = (List<?>) response.get("errors");
            assertEquals(1, errors.size(), what + ": " + run);
            String error = (String) errors.get(0);
            assertTrue(error.contains(expected), what + ": " + error);
            assertFalse(error.contains("Exception") || error.contains("\n"), what + ": " + error);
            assertFalse(run.stderr().contains("\tat ") || run.stdout().contains("\tat "), what + ": a stack trace: " + run);
        } finally {
            Files.deleteIfExists(file);
        }
        assertEquals(rolesBefore, Db.managedRoles(), what);
        assertEquals(ledgerBefore, Db.ledgerSize(), what);
        assertEquals(secretsBefore, env.secretsManager().calls("CreateSecret"), what);
    }

    /**
     * With the local store: a fresh context's Secrets Manager client is built on a background
     * thread, which can race the first escalation's own bean creation (seen as "could not set up
     * the Secrets Manager client: Index 2 out of bounds for length 2"; reported, not this test's
     * subject).
     */
    @Test
    void aWellFormedEventStillWorks() throws Exception {
        Path file = Files.createTempFile("event", ".json");
        Path dir = Files.createTempDirectory("secrets");
        Map<String, Object> local = Map.of("broker.secret-store", "local", "broker.secret-dir", dir.toString());
        try {
            String text = escalateText();
            Files.writeString(file, text, StandardCharsets.UTF_8);
            Cli.Run run = Cli.inProcess(local, "invoke", file.toString());
            assertEquals(0, run.exit(), run.toString());
            Map<String, Object> response = env.json().readValue(run.stdout(), TestEnvironment.MAP);
            String role = (String) ((Map<?, ?>) response.get("body")).get("role");
            assertTrue(Db.roleExists(role));
            Files.writeString(file, text.replace("\"type\":\"escalate\"", "\"type\":\"deescalate\""));
            Cli.Run ended = Cli.inProcess(local, "invoke", file.toString());
            assertEquals(0, ended.exit(), ended.toString());
            assertFalse(Db.roleExists(role));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** What {@code invoke} exits with for ordinary bad input: a target not on the allow-list. */
    private static int badTargetExit() throws Exception {
        Path file = Files.createTempFile("event", ".json");
        try {
            Files.write(file, env.json().writeValueAsBytes(
                    Events.escalate(Events.newRunId(), "strict.json@acme.example", "postgres", 60)));
            Cli.Run run = Cli.inProcess(Map.of(), "invoke", file.toString());
            assertTrue(run.stdout().contains("not on the broker's allow-list"), run.toString());
            assertTrue(run.exit() != 0, run.toString());
            return run.exit();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
