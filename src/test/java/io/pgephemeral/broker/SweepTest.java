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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.pgephemeral.broker.EscalationEndToEndTest.passwordOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expiry without a deescalate, and repair of what crashes leave behind. */
@Tag("compat")
class SweepTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final FakeSecretsManager secrets = env.secretsManager();
    private static Broker broker;

    @BeforeAll
    static void start() {
        broker = new Broker(Map.of("broker.in-progress-timeout", "2s"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @AfterEach
    void nothingIsLeftWithoutAnOpenCredential() {
        secrets.clearFaults();
        assertEquals(List.of(), broker.sweep().errors());
        Invariants.assertNoLoginOrSecretWithoutAnOpenCredential(secrets);
    }

    private static void waitUntil(String expiresAt) throws InterruptedException {
        long ms = Duration.between(Instant.now(), Instant.parse(expiresAt)).toMillis() + 1100;
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }

    private static int count(SymResponse sweep, String key) {
        return ((Number) sweep.body().get(key)).intValue();
    }

    @Test
    void anExpiredCredentialIsEndedWithItsSessionsWithoutADeescalate() throws Exception {
        String run = Events.newRunId();
        SymResponse issued = broker.handle(Events.escalate(run, "expiring@acme.example", "readonly", "2s"));
        String role = (String) issued.body().get("role");
        String secretId = (String) issued.body().get("secret_id");
        try (Connection open = env.login(role, passwordOf(secretId))) {
            waitUntil((String) issued.body().get("expires_at"));
            try (Statement s = open.createStatement()) {
                s.executeQuery("SELECT 1").close(); // VALID UNTIL alone does not end an open session
            }
            SymResponse sweep = broker.sweep();
            assertEquals(List.of(), sweep.errors());
            assertTrue(count(sweep, "expired") >= 1);
            try (Statement s = open.createStatement()) {
                assertThrows(SQLException.class, () -> s.executeQuery("SELECT 1"));
            }
        }
        assertFalse(Db.roleExists(role));
        assertNull(secrets.secret(secretId));
        assertEquals(List.of("requested", "issued", "expired"), Db.ledgerEvents(run));
        assertEquals("pg-ephemeral", Db.ledger(run).get(2).get("actor"));

        // Sym's scheduled deescalate arrives later: nothing left to do, and it says so.
        SymResponse late = broker.handle(Events.deescalate(run, "expiring@acme.example", "readonly"));
        assertEquals(List.of(), late.errors());
        assertTrue(((String) late.body().get("message")).contains("was expired at"));
    }

    @Test
    void sessionsOfAnExpiredRoleEndEvenWhenTheRoleCannotBeDropped() throws Exception {
        String run = Events.newRunId();
        SymResponse issued = broker.handle(Events.escalate(run, "owner@acme.example", "readonly", "2s"));
        String role = (String) issued.body().get("role");
        try (Connection open = env.login(role, passwordOf((String) issued.body().get("secret_id")));
             Statement s = open.createStatement()) {
            s.execute("CREATE TABLE scratch.t_" + role + " (x int)");
            waitUntil((String) issued.body().get("expires_at"));
            broker.sweep();
            assertThrows(SQLException.class, () -> s.executeQuery("SELECT 1"));
        }
        assertEquals(false, Db.value("SELECT rolcanlogin FROM pg_roles WHERE rolname = ?", role));
        assertEquals(List.of("requested", "issued", "disabled"), Db.ledgerEvents(run));
        assertTrue(((String) Db.ledger(run).get(2).get("detail")).startsWith("expired at "));
        Db.execute("DROP TABLE scratch.t_" + role + "; DROP ROLE \"" + role + "\"");
    }

    @Test
    void aLoginTheLedgerNeverRecordedIsRemovedAndRecorded() {
        Db.asBot("CREATE ROLE eph_stray_login LOGIN; GRANT ephemeral_managed TO eph_stray_login");
        SymResponse sweep = broker.sweep();
        assertEquals(List.of(), sweep.errors());
        assertTrue(count(sweep, "orphans") >= 1);
        assertFalse(Db.roleExists("eph_stray_login"));
        List<Map<String, Object>> recorded = Db.query(
                "SELECT event, run_id, detail FROM ephemeral.ledger_event WHERE role_name = 'eph_stray_login'");
        assertEquals(1, recorded.size());
        assertEquals("reconciled", recorded.get(0).get("event"));
        assertEquals("unknown", recorded.get(0).get("run_id"));
    }

    @Test
    void aCredentialWhoseRoleVanishedIsClosedAndItsSecretDeleted() {
        String run = Events.newRunId();
        SymResponse issued = broker.handle(Events.escalate(run, "vanishing@acme.example", "readonly", "1h"));
        String role = (String) issued.body().get("role");
        Db.execute("DROP ROLE \"" + role + "\"");
        SymResponse sweep = broker.sweep();
        assertTrue(count(sweep, "vanished") >= 1);
        assertNull(secrets.secret((String) issued.body().get("secret_id")));
        assertEquals(List.of("requested", "issued", "reconciled"), Db.ledgerEvents(run));
    }

    /** A crash half way: the request is recorded, the role exists, the secret too, nothing else. */
    private static String crashedEscalation(String run, String requester) {
        String role = "eph_crashed_" + Math.abs(run.hashCode());
        Db.asBot("CREATE ROLE \"" + role + "\" LOGIN; GRANT ephemeral_managed TO \"" + role + "\"");
        broker.record(run, "requested", java.util.UUID.randomUUID(), requester, role, Duration.ofMinutes(10));
        return role;
    }

    @Test
    void anEscalationThatNeverFinishedIsCleanedUp() {
        String run = Events.newRunId();
        String role = crashedEscalation(run, "crashed@acme.example");
        SymResponse sweep = broker.sweep();
        assertTrue(count(sweep, "abandoned") >= 1, sweep.body().toString());
        assertFalse(Db.roleExists(role));
        assertEquals(List.of("requested", "failed"), Db.ledgerEvents(run));
        assertTrue(((String) Db.ledger(run).get(1).get("detail")).startsWith("abandoned"));
    }

    @Test
    void anEscalateRetriedAfterItsFirstAttemptDiedHalfWayStartsCleanly() throws Exception {
        String run = Events.newRunId();
        String role = crashedEscalation(run, "retried@acme.example");
        SymResponse retry = broker.handle(Events.escalate(run, "retried@acme.example", "readonly", "1h"));
        assertEquals(List.of(), retry.errors());
        assertFalse(Db.roleExists(role), "the first attempt's role is gone");
        assertEquals(List.of("requested", "failed", "requested", "issued"), Db.ledgerEvents(run));
        env.login((String) retry.body().get("role"), passwordOf((String) retry.body().get("secret_id"))).close();
        broker.handle(Events.deescalate(run, "retried@acme.example", "readonly"));
    }

    @Test
    void aSecretAFailedEscalationCouldNotDeleteIsDeletedByTheSweep() {
        String run = Events.newRunId();
        // The secret is created but the answer is lost, every retry fails, and so does the clean-up.
        secrets.failAfterProcessingNext("CreateSecret", 500, "InternalServiceError");
        secrets.failNext("CreateSecret", 5, 500, "InternalServiceError");
        secrets.failNext("DescribeSecret", 5, 500, "InternalServiceError");
        SymResponse failed = broker.handle(Events.escalate(run, "leftover@acme.example", "readonly", "1h"));
        secrets.clearFaults();
        assertEquals(1, failed.errors().size());
        assertTrue(failed.errors().get(0).contains("cleanup incomplete"), failed.errors().get(0));
        String secretId = "pg-ephemeral/leftover@acme.example/readonly";
        assertTrue(secrets.secret(secretId) != null, "the secret was left behind");

        SymResponse sweep = broker.sweep();
        assertTrue(count(sweep, "leftovers") >= 1, sweep.body().toString());
        assertNull(secrets.secret(secretId));
        assertEquals(List.of("requested", "failed", "reconciled"), Db.ledgerEvents(run));
    }

    @Test
    void aSweepIsBoundedAndTheNextOneFinishes() throws Exception {
        try (Broker small = new Broker(Map.of("broker.sweep-batch-size", "2"))) {
            List<String> runs = new ArrayList<>();
            SymResponse last = null;
            for (int i = 0; i < 5; i++) {
                String run = Events.newRunId();
                runs.add(run);
                last = small.handle(Events.escalate(run, "batch" + i + "@acme.example", "readonly", "1s"));
                assertEquals(List.of(), last.errors());
            }
            waitUntil((String) last.body().get("expires_at"));
            SymResponse first = small.sweep();
            assertEquals(2, count(first, "expired"));
            assertEquals(true, first.body().get("more"));
            int total = 2;
            for (int i = 0; i < 3 && total < 5; i++) {
                total += count(small.sweep(), "expired");
            }
            assertEquals(5, total);
            for (String run : runs) {
                assertEquals("expired", Db.ledgerEvents(run).get(2));
            }
        }
    }

    /**
     * The sweep ends expired credentials in groups of a hundred (one look-up, one statement that
     * ends all their sessions, one DROP ROLE, one ledger transaction). The odd ones in a group still
     * get their own treatment: a login that owns a table is disabled, a session is ended, and a
     * secret that already holds a newer credential is kept.
     */
    @Test
    void manyExpiredCredentialsAreEndedTogetherAndTheOddOnesStillGetTheirOwnTreatment() throws Exception {
        List<String> runs = new ArrayList<>();
        List<SymResponse> issued = new ArrayList<>();
        List<Connection> sessions = new ArrayList<>();
        String owner = null;
        String newerRun = Events.newRunId();
        SymResponse newer;
        try {
            for (int i = 0; i < 130; i++) {
                String run = Events.newRunId();
                runs.add(run);
                SymResponse up = broker.handle(Events.escalate(run, "group" + i + "@acme.example", "readonly", "2s"));
                assertEquals(List.of(), up.errors());
                issued.add(up);
                if (i == 7 || i == 110) { // logged in at once: each login is valid for two seconds only
                    sessions.add(env.login((String) up.body().get("role"), passwordOf((String) up.body().get("secret_id"))));
                }
                if (i == 7) {
                    owner = (String) up.body().get("role");
                    sessions.get(0).createStatement().execute("CREATE TABLE scratch.t_" + owner + " (x int)");
                }
            }
            newer = broker.handle(Events.escalate(newerRun, "group120@acme.example", "readonly", "1h"));
            waitUntil((String) issued.get(129).body().get("expires_at"));

            SymResponse sweep = broker.sweep();
            assertEquals(List.of(), sweep.errors());
            assertEquals(130, count(sweep, "expired"));
            for (Connection session : sessions) {
                assertThrows(SQLException.class, () -> session.createStatement().executeQuery("SELECT 1"),
                        "its session was ended");
            }
        } finally {
            for (Connection session : sessions) {
                session.close();
            }
        }
        for (int i = 0; i < runs.size(); i++) {
            String role = (String) issued.get(i).body().get("role");
            assertEquals(i == 7 ? "disabled" : "expired", Db.ledgerEvents(runs.get(i)).get(2), "run " + i);
            assertEquals(i == 7, Db.roleExists(role), role);
        }
        assertNull(secrets.secret("pg-ephemeral/group0@acme.example/readonly"));
        Map<?, ?> kept = env.json().readValue(secrets.secret("pg-ephemeral/group120@acme.example/readonly")
                .currentValue(), Map.class);
        assertEquals(newer.body().get("role"), kept.get("username"), "the newer credential's secret stays");
        assertTrue(((String) Db.ledger(runs.get(120)).get(2).get("detail")).contains("secret kept for newer"));
        broker.handle(Events.deescalate(newerRun, "group120@acme.example", "readonly"));
        Db.execute("DROP TABLE scratch.t_" + owner + "; DROP ROLE \"" + owner + "\"");
    }

    /**
     * On 16+ the bot holds ADMIN OPTION only on roles it created, so a role someone else put in the
     * marker is not the broker's and is never touched. Before 16 the server cannot tell the two
     * apart (CREATEROLE administers every role), and the sweep removes it like any stray login.
     */
    @Test
    void aMarkerMemberTheBotDidNotCreateIsTouchedOnlyWhereTheServerCannotTellItApart() {
        Db.execute("CREATE ROLE someone_elses LOGIN; GRANT ephemeral_managed TO someone_elses");
        try {
            assertEquals(List.of(), broker.sweep().errors());
            assertEquals(env.serverMajor() >= 16, Db.roleExists("someone_elses"));
        } finally {
            Db.execute("DROP ROLE IF EXISTS someone_elses");
        }
    }

    @Test
    void onlyOneSweepWorksAtATime() throws Exception {
        try (Connection other = env.admin(); Statement s = other.createStatement()) {
            s.execute("SELECT pg_advisory_lock(7262931, 1)");
            SymResponse skipped = broker.sweep();
            assertEquals(List.of(), skipped.errors());
            assertEquals("skipped: another sweep is running", skipped.body().get("sweep"));
            s.execute("SELECT pg_advisory_unlock(7262931, 1)");
        }
        assertEquals("done", broker.sweep().body().get("sweep"));
    }
}
