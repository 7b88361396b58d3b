package io.pgephemeral.broker;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of bad event gets one clear error line and changes nothing: no role, no secret, no
 * ledger row. An event can never name a role directly.
 */
class BadInputTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static Broker broker;

    @BeforeAll
    static void start() {
        broker = new Broker();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static Stream<Arguments> badEvents() {
        return Stream.of(
                bad("a role that is not a target", "not on the broker's allow-list",
                        e -> Events.set(e, "postgres", "fields", "target", "name")),
                bad("a reserved role", "not on the broker's allow-list",
                        e -> Events.set(e, "pg_read_server_files", "fields", "target", "name")),
                bad("an injection attempt", "not an allowed target",
                        e -> Events.set(e, "readonly; DROP ROLE postgres; --", "fields", "target", "name")),
                bad("a quoted identifier", "not an allowed target",
                        e -> Events.set(e, "\"readonly\"", "fields", "target", "name")),
                bad("an existing role that is not allow-listed", "not on the broker's allow-list",
                        e -> Events.set(e, "not_allowed", "fields", "target", "name")),
                bad("a target as an object", "not an allowed target",
                        e -> Events.set(e, Map.of("x", 1), "fields", "target", "name")),
                bad("no target", "not an allowed target",
                        e -> Events.set(e, null, "fields", "target")),
                bad("no duration", "fields.duration: duration is missing",
                        e -> Events.set(e, null, "fields", "duration")),
                bad("zero duration", "must be positive", e -> Events.set(e, 0, "fields", "duration")),
                bad("negative duration", "must be positive", e -> Events.set(e, -60, "fields", "duration")),
                bad("negative text duration", "must be positive", e -> Events.set(e, "-5m", "fields", "duration")),
                bad("fractional duration", "whole number", e -> Events.set(e, 1.5, "fields", "duration")),
                bad("unparseable duration", "is not understood", e -> Events.set(e, "soon", "fields", "duration")),
                bad("zero ISO duration", "must be positive", e -> Events.set(e, "PT0S", "fields", "duration")),
                bad("absurd duration", "longer than ten years",
                        e -> Events.set(e, "99999999999", "fields", "duration")),
                bad("no requester", "run.actors.request.username is missing",
                        e -> Events.set(e, null, "run", "actors", "request")),
                bad("a requester that is not an email", "must be an email address",
                        e -> Events.set(e, "jane doe", "run", "actors", "request", "username")),
                // Passed the old pattern, then failed at CreateSecret (tag values hold 256) after a
                // role was created and dropped and two ledger rows were written.
                bad("a requester of 306 characters", "at most 254",
                        e -> Events.set(e, LONG_REQUESTER, "run", "actors", "request", "username")),
                bad("a requester whose domain has a label over 63 characters", "label",
                        e -> Events.set(e, "jane@" + "d".repeat(64) + ".example", "run", "actors", "request", "username")),
                bad("a requester with a character no secret name can carry", "secret name",
                        e -> Events.set(e, "jane!doe@acme.example", "run", "actors", "request", "username")),
                bad("a requester with a slash, the secret name's separator", "secret name",
                        e -> Events.set(e, "jane/doe@acme.example", "run", "actors", "request", "username")),
                bad("an approver of 306 characters", "at most 254",
                        e -> Events.set(e, LONG_REQUESTER, "run", "actors", "approve", "username")),
                bad("no run", "run.srn must be a Sym run SRN", e -> Events.set(e, null, "run", "srn")),
                bad("an unknown event type", "event.type must be 'escalate' or 'deescalate'",
                        e -> Events.set(e, "approve", "event", "type")),
                bad("no event type", "event.type must be 'escalate' or 'deescalate'",
                        e -> Events.set(e, null, "event")),
                bad("a reason that is not text", "fields.reason must be text",
                        e -> Events.set(e, List.of("a"), "fields", "reason")));
    }

    /** 64 + 1 + 241 = 306 characters, every part within the old pattern's limits. */
    static final String LONG_REQUESTER = "j".repeat(64) + "@" + ("d".repeat(58) + ".").repeat(4) + "examp";

    private static Arguments bad(String what, String expected, Consumer<Map<String, Object>> change) {
        return Arguments.of(what, expected, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badEvents")
    void isRefusedWithOneLineAndNothingChanges(String what, String expected, Consumer<Map<String, Object>> change) {
        Map<String, Object> event = Events.escalate(Events.newRunId(), "mallory@acme.example", "readonly", 3600);
        change.accept(event);
        List<String> rolesBefore = Db.managedRoles();
        long ledgerBefore = Db.ledgerSize();
        int secretsBefore = env.secretsManager().liveSecrets().size();
        int callsBefore = env.secretsManager().calls("CreateSecret");

        SymResponse response = broker.handle(event);

        assertEquals(1, response.errors().size(), what);
        String error = response.errors().get(0);
        assertTrue(error.contains(expected), what + ": " + error);
        assertFalse(error.contains("\n"), "one line");
        assertFalse(error.contains("Exception"), "no stack traces or exception names: " + error);
        assertEquals(Map.of(), response.body());
        assertEquals(rolesBefore, Db.managedRoles());
        assertEquals(ledgerBefore, Db.ledgerSize());
        assertEquals(secretsBefore, env.secretsManager().liveSecrets().size());
        assertEquals(callsBefore, env.secretsManager().calls("CreateSecret"));
    }

    /**
     * A deescalate of a run never seen records that access ended, so that a late escalate is
     * refused; with a requester no escalate could have had, it must record nothing.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequesters")
    void aDeescalateWithAnImpossibleRequesterRecordsNothing(String requester, String expected) {
        long ledgerBefore = Db.ledgerSize();
        SymResponse response = broker.handle(Events.deescalate(Events.newRunId(), requester, "readonly"));
        assertEquals(1, response.errors().size(), requester);
        assertTrue(response.errors().get(0).contains(expected), response.errors().get(0));
        assertEquals(ledgerBefore, Db.ledgerSize());
    }

    static Stream<Arguments> badRequesters() {
        return Stream.of(Arguments.of(LONG_REQUESTER, "at most 254"),
                Arguments.of("j".repeat(65) + "@acme.example", "must be an email address"));
    }

    @ParameterizedTest(name = "duration {0}")
    @MethodSource("goodDurations")
    void acceptsEveryDocumentedDurationForm(Object duration, long seconds) {
        String run = Events.newRunId();
        SymResponse response = broker.handle(Events.escalate(run, "durations@acme.example", "readonly", duration));
        assertEquals(List.of(), response.errors());
        assertEquals(seconds, ((Number) response.body().get("duration_granted_seconds")).longValue());
        broker.handle(Events.deescalate(run, "durations@acme.example", "readonly"));
    }

    static Stream<Arguments> goodDurations() {
        return Stream.of(Arguments.of(1800, 1800L), Arguments.of("1800", 1800L), Arguments.of("30m", 1800L),
                Arguments.of("1h", 3600L), Arguments.of("PT30M", 1800L), Arguments.of("1h30m", 5400L));
    }
}
