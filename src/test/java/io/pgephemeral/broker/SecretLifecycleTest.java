package io.pgephemeral.broker;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.Invariants;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A requester's secret when a second credential for the same target fails halfway: the standing
 * credential must stay retrievable, whichever step failed and even if the broker died there. And
 * a secret of the requester's name that the broker did not make never receives a password.
 */
class SecretLifecycleTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final FakeSecretsManager secrets = env.secretsManager();
    private static Broker broker;

    @BeforeAll
    static void start() {
        broker = new Broker();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @AfterEach
    void oneSweepRepairsEverything() {
        secrets.clearFaults();
        assertEquals(List.of(), broker.sweep().errors());
        Invariants.assertNoLoginOrSecretWithoutAnOpenCredential(secrets);
    }

    private static String secretName(String requester) {
        return "pg-ephemeral/" + requester + "/readonly";
    }

    /** Logs in with what the secret holds now and answers as whom; fails if that does not work. */
    private static String loginFromSecret(String requester) throws Exception {
        FakeSecretsManager.Secret secret = secrets.secret(secretName(requester));
        assertNotNull(secret, "the requester's secret exists");
        Map<String, Object> value = env.json().readValue(secret.currentValue(),
                TestEnvironment.MAP);
        try (Connection c = env.login((String) value.get("username"), (String) value.get("password"));
             Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT current_user")) {
            r.next();
            return r.getString(1);
        }
    }

    private static String standingCredential(String requester) {
        SymResponse first = broker.handle(Events.escalate(Events.newRunId(), requester, "readonly", "1h"));
        assertEquals(List.of(), first.errors());
        return (String) first.body().get("role");
    }

    @Test
    void aReplacementWhoseWriteFailsLeavesTheStandingCredentialInTheSecret() throws Exception {
        assertAFailedReplacementLeavesTheStandingCredential("replace.fails@acme.example",
                () -> secrets.failNext("PutSecretValue", 10, 500, "InternalServiceError"));
    }

    @Test
    void aReplacementWrittenButNotAcknowledgedIsUndoneToTheStandingCredential() throws Exception {
        // AWS stores the value, the answer is lost, and every retry fails: the broker gives up.
        assertAFailedReplacementLeavesTheStandingCredential("replace.lost@acme.example", () -> {
            secrets.failAfterProcessingNext("PutSecretValue", 500, "InternalServiceError");
            secrets.failNext("PutSecretValue", 10, 500, "InternalServiceError");
        });
    }

    private static void assertAFailedReplacementLeavesTheStandingCredential(String requester, Runnable faults)
            throws Exception {
        String standing = standingCredential(requester);
        faults.run();
        SymResponse second = broker.handle(Events.escalate(Events.newRunId(), requester, "readonly", "1h"));
        secrets.clearFaults();
        assertEquals(1, second.errors().size());
        assertEquals(standing, loginFromSecret(requester));
    }

    @Test
    void aReplacementWhoseTagsFailAfterTheValueMovedIsUndone() throws Exception {
        String requester = "replace.tags@acme.example";
        String standing = standingCredential(requester);
        // The call after the value moved: the broker's last tagging call of a replacement.
        FakeSecretsManager.Stall afterPut = secrets.stall("PutSecretValue", 1);
        CompletableFuture<SymResponse> second = CompletableFuture.supplyAsync(
                () -> broker.handle(Events.escalate(Events.newRunId(), requester, "readonly", "1h")));
        afterPut.awaitArrival();
        secrets.failNext("TagResource", 10, 500, "InternalServiceError");
        afterPut.carryOut();
        SymResponse response = second.get(60, TimeUnit.SECONDS);
        secrets.clearFaults();
        assertEquals(1, response.errors().size());
        assertEquals(standing, loginFromSecret(requester));
    }

    /**
     * The broker dies during a replacement: the call it was making never returns. What a crash
     * leaves is the state at that moment; the sweep (or a retry) after the in-progress window must
     * then give the requester back the standing credential.
     */
    @ParameterizedTest(name = "killed at {0} #{1}")
    @CsvSource({"CreateSecret,1", "DescribeSecret,1", "TagResource,1", "PutSecretValue,1", "TagResource,2"})
    void aBrokerKilledDuringAReplacementLeavesTheStandingCredentialRetrievable(String operation, int nth)
            throws Exception {
        String requester = ("killed." + operation + nth + "@acme.example").toLowerCase();
        String standing = standingCredential(requester);
        FakeSecretsManager.Stall killed = secrets.stall(operation, nth);
        CompletableFuture<SymResponse> dying = CompletableFuture.supplyAsync(
                () -> broker.handle(Events.escalate(Events.newRunId(), requester, "readonly", "1h")));
        killed.awaitArrival();
        // Another instance, later: past the in-progress window, the attempt is dead.
        java.time.Clock later = java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofMinutes(3));
        try (Broker survivor = new Broker(Map.of("broker.in-progress-timeout", "2m"), later)) {
            assertEquals(List.of(), survivor.sweep().errors());
        }
        assertEquals(standing, loginFromSecret(requester), "after the sweep that found the attempt dead");
        killed.refuse(); // the dead broker's call is never answered with success
        dying.get(60, TimeUnit.SECONDS);
        assertEquals(standing, loginFromSecret(requester));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "no creation tag,,,",
            "another key,pg-ephemeral,arn:aws:kms:us-east-1:999999999999:key/attacker,",
            "a resource policy,pg-ephemeral,,{\"Version\":\"2012-10-17\"}"})
    void aSecretTheBrokerDidNotMakeNeverReceivesAPassword(String what, String createdBy, String key, String policy)
            throws Exception {
        String requester = ("squatted." + what.replace(' ', '.') + "@acme.example").toLowerCase();
        Map<String, String> tags = new java.util.HashMap<>(Map.of("pg-ephemeral:requester", requester));
        if (createdBy != null) {
            tags.put("pg-ephemeral:created-by", createdBy);
        }
        FakeSecretsManager.Secret squatted = secrets.putForeign(secretName(requester), key, tags, policy,
                "{\"note\":\"the attacker's\"}");
        List<String> rolesBefore = Db.managedRoles();
        String run = Events.newRunId();
        SymResponse response = broker.handle(Events.escalate(run, requester, "readonly", "1h"));
        assertEquals(1, response.errors().size());
        String error = response.errors().get(0);
        assertTrue(error.contains("secret " + secretName(requester) + " exists but was not made by pg-ephemeral"), error);
        assertEquals(1, squatted.versions.size(), "nothing was written into it");
        assertEquals("{\"note\":\"the attacker's\"}", squatted.currentValue());
        assertEquals(rolesBefore, Db.managedRoles(), "no login was left");
        assertEquals(List.of("requested", "failed"), Db.ledgerEvents(run));
        assertTrue(((String) Db.ledger(run).get(1).get("detail")).contains(secretName(requester)),
                "the ledger records which secret was refused");
        // Left alone: the sweep does not touch what it did not make.
        assertEquals(List.of(), broker.sweep().errors());
        assertEquals(squatted, secrets.secret(secretName(requester)));
        secrets.reset(); // the invariant after each test is about the broker's own secrets
        assertFalse(Db.roleExists("nobody"));
    }
}
