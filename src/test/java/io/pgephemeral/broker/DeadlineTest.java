package io.pgephemeral.broker;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.Invariants;
import io.pgephemeral.testing.LambdaContext;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A database or Secrets Manager that stops answering: every invocation ends by its deadline with
 * one clear line, and leaves nothing a sweep cannot finish. Each call here is given far longer
 * than its deadline to return; without deadlines it would not return at all.
 */
@Tag("compat")
class DeadlineTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final FakeSecretsManager secrets = env.secretsManager();
    /** How long a test waits for an invocation that must end by itself in a few seconds. */
    private static final long RETURNS_WITHIN_S = 40;

    @AfterEach
    void oneSweepRepairsEverything() {
        secrets.clearFaults();
        try (Broker broker = new Broker()) {
            assertEquals(List.of(), broker.sweep().errors());
        }
        Invariants.assertNoLoginOrSecretWithoutAnOpenCredential(secrets);
    }

    private static SymResponse returning(Supplier<SymResponse> call) throws Exception {
        return CompletableFuture.supplyAsync(call).get(RETURNS_WITHIN_S, TimeUnit.SECONDS);
    }

    @Test
    void aHeldCatalogLockFailsEscalateNamingThatLockNotTheAdvisoryOne() throws Exception {
        String run = Events.newRunId();
        String requester = "catalog.lock@acme.example";
        List<String> before = Db.managedRoles();
        SymResponse response;
        try (Broker broker = new Broker(Map.of("broker.lock-timeout", "1s", "broker.invocation-timeout", "8s"));
             Connection holder = env.admin()) {
            holder.setAutoCommit(false);
            try (Statement s = holder.createStatement()) {
                // A lock on the roles' catalog that lets readers (logins, privilege checks, the ledger)
                // through and makes every role change wait, as a long maintenance command would.
                s.execute("LOCK TABLE pg_catalog.pg_authid IN SHARE MODE");
            }
            response = returning(() -> broker.handle(Events.escalate(run, requester, "readonly", "1h")));
            holder.rollback();
        }
        assertEquals(1, response.errors().size());
        String error = response.errors().get(0);
        assertTrue(error.contains("a lock on pg_authid, held by backend"), error);
        assertFalse(error.contains("pg_advisory_xact_lock"), error);
        assertFalse(error.contains("cleanup incomplete"), error);
        assertEquals(before, Db.managedRoles());
        assertNull(secrets.secret("pg-ephemeral/" + requester + "/readonly"));
        assertEquals(List.of("requested", "failed"), Db.ledgerEvents(run));
    }

    @Test
    void aSecretsManagerThatNeverAnswersFailsEscalateInTimeAndTheLateCreateIsSwept() throws Exception {
        String run = Events.newRunId();
        String requester = "sm.silent@acme.example";
        String secretId = "pg-ephemeral/" + requester + "/readonly";
        FakeSecretsManager.Stall silent = secrets.stallNext("CreateSecret");
        SymResponse response;
        try (Broker broker = new Broker(Map.of("broker.invocation-timeout", "6s"))) {
            response = returning(() -> broker.handle(Events.escalate(run, requester, "readonly", "1h")));
        }
        assertEquals(1, response.errors().size(), String.valueOf(response.body()));
        assertTrue(response.errors().get(0).startsWith("could not store the credential in Secrets Manager"),
                response.errors().get(0));
        String role = (String) Db.ledger(run).get(0).get("role_name");
        assertFalse(Db.roleExists(role), "the login was dropped");
        assertEquals(List.of("requested", "failed"), Db.ledgerEvents(run));

        // AWS carries the create out after the broker gave up: a secret holding a dead password.
        silent.carryOut();
        assertNotNull(secrets.secret(secretId));
        try (Broker broker = new Broker()) {
            SymResponse sweep = broker.sweep();
            assertEquals(List.of(), sweep.errors());
            assertEquals(1, ((Number) sweep.body().get("leftovers")).intValue(), sweep.body().toString());
        }
        assertNull(secrets.secret(secretId));
        assertEquals(List.of("requested", "failed", "reconciled"), Db.ledgerEvents(run));
    }

    @Test
    void aStalledDeescalateEndsInTimeAndLeavesTheCredentialOpenNeverHalfRecorded() throws Exception {
        String run = Events.newRunId();
        String requester = "sm.stalled.down@acme.example";
        try (Broker broker = new Broker(Map.of("broker.invocation-timeout", "6s"))) {
            SymResponse up = broker.handle(Events.escalate(run, requester, "readonly", "1h"));
            assertEquals(List.of(), up.errors());
            FakeSecretsManager.Stall stalled = secrets.stallNext("DescribeSecret");
            SymResponse down = returning(() -> broker.handle(Events.deescalate(run, requester, "readonly")));
            stalled.refuse();
            assertEquals(1, down.errors().size());
            assertTrue(down.errors().get(0).contains("could not be fully removed"), down.errors().get(0));
            assertFalse(Db.roleExists((String) up.body().get("role")), "the password died first");
            assertEquals(List.of("requested", "issued"), Db.ledgerEvents(run), "still open, for a retry or the sweep");

            assertEquals(List.of(), broker.handle(Events.deescalate(run, requester, "readonly")).errors());
            assertNull(secrets.secret((String) up.body().get("secret_id")));
            assertEquals(List.of("requested", "issued", "revoked"), Db.ledgerEvents(run));
        }
    }

    @Test
    void lambdasRemainingTimeIsTheDeadline() throws Exception {
        String run = Events.newRunId();
        String requester = "lambda.clock@acme.example";
        FakeSecretsManager.Stall silent = secrets.stallNext("CreateSecret");
        // Far more than the test waits: only Lambda's remaining time can end this invocation.
        try (Broker broker = new Broker(Map.of("broker.invocation-timeout", "10m"))) {
            SymResponse response = returning(() -> broker.handle(
                    Events.escalate(run, requester, "readonly", "1h"), LambdaContext.stoppingIn(6_000)));
            assertEquals(1, response.errors().size());
            assertEquals(List.of("requested", "failed"), Db.ledgerEvents(run));
            // The next invocation, without a context, is not held to the earlier one's time.
            silent.refuse();
            SymResponse next = broker.handle(Events.escalate(Events.newRunId(), requester, "readonly", "1h"));
            assertEquals(List.of(), next.errors());
            broker.handle(Events.deescalate((String) null, requester, "readonly"));
        }
    }
}
