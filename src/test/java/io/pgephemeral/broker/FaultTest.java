package io.pgephemeral.broker;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Backends;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.Invariants;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults in the middle of the work: connections cut, Secrets Manager failing, lock held, a
 * deescalate overtaking its escalate. After each, one sweep leaves no login and no secret without
 * an open credential.
 */
@Tag("compat")
class FaultTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final FakeSecretsManager secrets = env.secretsManager();
    private static Broker broker;

    @BeforeAll
    static void start() {
        broker = new Broker(Map.of("broker.lock-timeout", "20s"));
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

    /** Holds the role-administration lock in a transaction of another session. */
    private static Connection holdRoleLock() throws Exception {
        Connection holder = env.admin();
        holder.setAutoCommit(false);
        try (Statement s = holder.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(7262931)");
        }
        return holder;
    }

    @Test
    void theConnectionDroppedInTheMiddleOfEscalateLeavesNothingAndThePoolRecovers() throws Exception {
        String run = Events.newRunId();
        SymResponse response;
        try (Connection holder = holdRoleLock()) {
            CompletableFuture<SymResponse> escalate = CompletableFuture.supplyAsync(
                    () -> broker.handle(Events.escalate(run, "cut@acme.example", "readonly", "1h")));
            Backends.terminate(Backends.awaitBrokerWaitingForLock());
            response = escalate.get(60, TimeUnit.SECONDS);
            holder.rollback();
        }
        assertEquals(1, response.errors().size());
        assertTrue(response.errors().get(0).startsWith("could not create the login in PostgreSQL"), response.errors().get(0));
        String role = (String) Db.ledger(run).get(0).get("role_name");
        assertFalse(Db.roleExists(role));
        assertNull(secrets.secret("pg-ephemeral/cut@acme.example/readonly"));
        assertEquals(List.of("requested", "failed"), Db.ledgerEvents(run));

        String again = Events.newRunId();
        SymResponse next = broker.handle(Events.escalate(again, "cut@acme.example", "readonly", "1h"));
        assertEquals(List.of(), next.errors(), "the pool replaced the dead connection");
        broker.handle(Events.deescalate(again, "cut@acme.example", "readonly"));
    }

    @Test
    void theConnectionDroppedInTheMiddleOfDeescalateIsFinishedByTheRetry() throws Exception {
        String run = Events.newRunId();
        SymResponse up = broker.handle(Events.escalate(run, "cut.down@acme.example", "readonly", "1h"));
        String role = (String) up.body().get("role");
        SymResponse down;
        try (Connection holder = holdRoleLock()) {
            CompletableFuture<SymResponse> deescalate = CompletableFuture.supplyAsync(
                    () -> broker.handle(Events.deescalate(run, "cut.down@acme.example", "readonly")));
            Backends.terminate(Backends.awaitBrokerWaitingForLock());
            down = deescalate.get(60, TimeUnit.SECONDS);
            holder.rollback();
        }
        assertEquals(1, down.errors().size());
        assertTrue(down.errors().get(0).contains("could not be fully removed"), down.errors().get(0));
        assertTrue(Db.roleExists(role), "nothing was recorded as ended that was not");
        assertEquals(List.of("requested", "issued"), Db.ledgerEvents(run));

        SymResponse retry = broker.handle(Events.deescalate(run, "cut.down@acme.example", "readonly"));
        assertEquals(List.of(), retry.errors());
        assertFalse(Db.roleExists(role));
        assertEquals(List.of("requested", "issued", "revoked"), Db.ledgerEvents(run));
    }

    @Test
    void aHeldLockMakesEscalateWaitThenGiveUpCleanlyWithAUsableConnection() throws Exception {
        try (Broker impatient = new Broker(Map.of("broker.lock-timeout", "1s"))) {
            String run = Events.newRunId();
            SymResponse response;
            try (Connection holder = holdRoleLock()) {
                long started = System.nanoTime();
                response = impatient.handle(Events.escalate(run, "waiting@acme.example", "readonly", "1h"));
                assertTrue(System.nanoTime() - started >= 900_000_000L, "it waited for the lock");
                holder.rollback();
            }
            assertEquals(1, response.errors().size());
            assertTrue(response.errors().get(0).startsWith("timed out after 1000 ms waiting for the role-administration lock"),
                    response.errors().get(0));
            assertEquals(List.of("requested", "failed"), Db.ledgerEvents(run));
            SymResponse retry = impatient.handle(Events.escalate(run, "waiting@acme.example", "readonly", "1h"));
            assertEquals(List.of(), retry.errors());
            impatient.handle(Events.deescalate(run, "waiting@acme.example", "readonly"));
        }
    }

    @Test
    void aDeescalateThatOvertakesItsEscalateWins() throws Exception {
        String run = Events.newRunId();
        SymResponse escalated;
        SymResponse deescalated;
        try (Connection holder = holdRoleLock()) {
            CompletableFuture<SymResponse> escalate = CompletableFuture.supplyAsync(
                    () -> broker.handle(Events.escalate(run, "overtaken@acme.example", "readonly", "1h")));
            Backends.awaitBrokerWaitingForLock();
            // The escalation is recorded and waiting to create its role; access ends now.
            try (Broker other = new Broker()) {
                deescalated = other.handle(Events.deescalate(run, "overtaken@acme.example", "readonly"));
            }
            holder.rollback();
            escalated = escalate.get(60, TimeUnit.SECONDS);
        }
        assertEquals(List.of(), deescalated.errors());
        assertEquals(1, escalated.errors().size());
        assertTrue(escalated.errors().get(0).contains("was ended (revoked) while it was being issued"),
                escalated.errors().get(0));
        String role = (String) Db.ledger(run).get(0).get("role_name");
        assertFalse(Db.roleExists(role));
        assertNull(secrets.secret("pg-ephemeral/overtaken@acme.example/readonly"));
        assertEquals(List.of("requested", "revoked"), Db.ledgerEvents(run));
    }

    @Test
    void secretsManagerFailingAtDeescalateLeavesTheCredentialOpenUntilTheRetry() {
        String run = Events.newRunId();
        SymResponse up = broker.handle(Events.escalate(run, "sm.down@acme.example", "readonly", "1h"));
        secrets.failNext("DescribeSecret", 10, 503, "ServiceUnavailable");
        SymResponse down = broker.handle(Events.deescalate(run, "sm.down@acme.example", "readonly"));
        secrets.clearFaults();
        assertEquals(1, down.errors().size());
        assertFalse(Db.roleExists((String) up.body().get("role")), "the password died first");
        assertNotNull(secrets.secret((String) up.body().get("secret_id")));
        assertEquals(List.of("requested", "issued"), Db.ledgerEvents(run));

        assertEquals(List.of(), broker.handle(Events.deescalate(run, "sm.down@acme.example", "readonly")).errors());
        assertNull(secrets.secret((String) up.body().get("secret_id")));
        assertEquals(List.of("requested", "issued", "revoked"), Db.ledgerEvents(run));
    }

    @Test
    void aRetryWhileTheFirstAttemptIsStillRunningChangesNothing() {
        String run = Events.newRunId();
        java.util.UUID credential = java.util.UUID.randomUUID();
        broker.record(run, "requested", credential, "busy.run@acme.example", "eph_busy_run_aaaaaaaaaa",
                java.time.Duration.ZERO);
        List<String> roles = Db.managedRoles();
        SymResponse retry = broker.handle(Events.escalate(run, "busy.run@acme.example", "readonly", "1h"));
        assertEquals(1, retry.errors().size());
        assertTrue(retry.errors().get(0).contains("is still in progress; retry later"), retry.errors().get(0));
        assertEquals(roles, Db.managedRoles());
        assertEquals(List.of("requested"), Db.ledgerEvents(run));
        // Close it, so the sweep after this test has nothing of ours to abandon.
        broker.record(run, "failed", credential, "busy.run@acme.example", "eph_busy_run_aaaaaaaaaa",
                java.time.Duration.ZERO);
    }
}
