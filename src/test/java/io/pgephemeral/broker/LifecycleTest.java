package io.pgephemeral.broker;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static io.pgephemeral.broker.EscalationEndToEndTest.passwordOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Retries, repeats, failures and leftovers: what Sym and real databases actually do. */
class LifecycleTest {

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
    void oneSweepLeavesNothingWithoutAnOpenCredential() {
        secrets.releaseForceDeletedNamesAfter(0);
        secrets.clearFaults();
        assertEquals(List.of(), broker.sweep().errors());
        io.pgephemeral.testing.Invariants.assertNoLoginOrSecretWithoutAnOpenCredential(secrets);
    }

    @Test
    void theSameEscalateDeliveredTwiceYieldsOneCredential() {
        String run = Events.newRunId();
        Map<String, Object> event = Events.escalate(run, "twice@acme.example", "readonly", 900);
        int createsBefore = secrets.calls("CreateSecret");
        List<String> rolesBefore = Db.managedRoles();

        SymResponse first = broker.handle(event);
        SymResponse second = broker.handle(event);

        assertEquals(List.of(), first.errors());
        assertEquals(List.of(), second.errors());
        assertEquals(first.body().get("role"), second.body().get("role"));
        assertEquals(first.body().get("credential_id"), second.body().get("credential_id"));
        assertEquals(first.body().get("expires_at"), second.body().get("expires_at"));
        assertEquals(true, second.body().get("replayed"));
        assertEquals(rolesBefore.size() + 1, Db.managedRoles().size());
        assertEquals(createsBefore + 1, secrets.calls("CreateSecret"));
        assertEquals(1, secrets.secret((String) first.body().get("secret_id")).versions.size());
        assertEquals(List.of("requested", "issued"), Db.ledgerEvents(run));
        broker.handle(Events.deescalate(run, "twice@acme.example", "readonly"));
    }

    @Test
    void deescalatingTwiceSucceedsAndSaysItIsAlreadyDone() {
        String run = Events.newRunId();
        broker.handle(Events.escalate(run, "twice.down@acme.example", "readonly", 900));
        SymResponse first = broker.handle(Events.deescalate(run, "twice.down@acme.example", "readonly"));
        SymResponse second = broker.handle(Events.deescalate(run, "twice.down@acme.example", "readonly"));
        assertEquals(List.of(), first.errors());
        assertEquals(List.of(), second.errors());
        assertTrue(((String) second.body().get("message")).startsWith("already ended: "), second.body().toString());
        assertEquals(List.of(), second.body().get("removed"));
        assertEquals(List.of("requested", "issued", "revoked"), Db.ledgerEvents(run));
    }

    @Test
    void deescalatingSomethingNeverIssuedSucceedsAndSaysSo() {
        String run = Events.newRunId();
        SymResponse response = broker.handle(Events.deescalate(run, "never@acme.example", "readonly"));
        assertEquals(List.of(), response.errors());
        assertEquals("no credential was issued for this request; nothing to remove", response.body().get("message"));
        // Recorded, so that an escalate arriving after its own deescalate grants nothing.
        assertEquals(List.of("revoked"), Db.ledgerEvents(run));
        SymResponse late = broker.handle(Events.escalate(run, "never@acme.example", "readonly", 900));
        assertEquals(1, late.errors().size());
        assertTrue(late.errors().get(0).contains("already ended"), late.errors().get(0));
        assertEquals(List.of("revoked"), Db.ledgerEvents(run));
    }

    @Test
    void aDeescalateAfterAFailedEscalateStopsSymsRetryFromGrantingAccess() {
        String run = Events.newRunId();
        secrets.failNext("CreateSecret", 10, 500, "InternalServiceError");
        SymResponse failed = broker.handle(Events.escalate(run, "failed.then.ended@acme.example", "readonly", 900));
        secrets.clearFaults();
        assertEquals(1, failed.errors().size());
        assertEquals(List.of(), broker.handle(Events.deescalate(run, "failed.then.ended@acme.example", "readonly")).errors());
        SymResponse retry = broker.handle(Events.escalate(run, "failed.then.ended@acme.example", "readonly", 900));
        assertEquals(1, retry.errors().size());
        assertEquals(List.of("requested", "failed", "revoked"), Db.ledgerEvents(run));
    }

    @Test
    void anEscalateAfterItsRunWasDeescalatedIsRefused() {
        String run = Events.newRunId();
        Map<String, Object> escalate = Events.escalate(run, "late@acme.example", "readonly", 900);
        broker.handle(escalate);
        broker.handle(Events.deescalate(run, "late@acme.example", "readonly"));
        List<String> roles = Db.managedRoles();
        SymResponse again = broker.handle(escalate);
        assertEquals(1, again.errors().size());
        assertTrue(again.errors().get(0).contains("already ended"), again.errors().get(0));
        assertEquals(roles, Db.managedRoles());
    }

    @Test
    void secretsManagerFailingAfterTheRoleExistsLeavesNothingBehind() {
        String run = Events.newRunId();
        List<String> rolesBefore = Db.managedRoles();
        secrets.failNext("CreateSecret", 10, 500, "InternalServiceError");
        SymResponse response;
        try {
            response = broker.handle(Events.escalate(run, "unlucky@acme.example", "readonly", 900));
        } finally {
            secrets.clearFaults();
        }
        assertEquals(1, response.errors().size());
        assertTrue(response.errors().get(0).startsWith("could not store the credential in Secrets Manager:"),
                response.errors().get(0));
        assertEquals(rolesBefore, Db.managedRoles(), "the role created before the failure was dropped");
        assertNull(secrets.secret("pg-ephemeral/unlucky@acme.example/readonly"));
        List<Map<String, Object>> ledger = Db.ledger(run);
        assertEquals(List.of("requested", "failed"), Db.ledgerEvents(run));
        assertTrue(((String) ledger.get(1).get("detail")).contains("InternalServiceError"));
        assertFalse(Db.roleExists((String) ledger.get(0).get("role_name")));

        // Sym retries the run once Secrets Manager is back: a fresh attempt succeeds.
        SymResponse retry = broker.handle(Events.escalate(run, "unlucky@acme.example", "readonly", 900));
        assertEquals(List.of(), retry.errors());
        assertEquals(List.of("requested", "failed", "requested", "issued"), Db.ledgerEvents(run));
        assertEquals(2, Db.ledger(run).get(3).get("attempt"));
        broker.handle(Events.deescalate(run, "unlucky@acme.example", "readonly"));
    }

    @Test
    void theSdkRetriesAPassingFaultAndTheEscalationSucceeds() {
        String run = Events.newRunId();
        int before = secrets.calls("CreateSecret");
        secrets.failNext("CreateSecret", 1, 400, "ThrottlingException");
        SymResponse response = broker.handle(Events.escalate(run, "throttled@acme.example", "readonly", 900));
        assertEquals(List.of(), response.errors());
        assertEquals(before + 2, secrets.calls("CreateSecret"));
        broker.handle(Events.deescalate(run, "throttled@acme.example", "readonly"));
    }

    @Test
    void theSameRequesterCanEscalateAgainRightAfterADeescalate() {
        // AWS releases a force-deleted name asynchronously; the broker waits for it.
        secrets.releaseForceDeletedNamesAfter(600);
        String first = Events.newRunId();
        String second = Events.newRunId();
        assertEquals(List.of(), broker.handle(Events.escalate(first, "again@acme.example", "readonly", 900)).errors());
        assertEquals(List.of(), broker.handle(Events.deescalate(first, "again@acme.example", "readonly")).errors());
        int creates = secrets.calls("CreateSecret");
        SymResponse again = broker.handle(Events.escalate(second, "again@acme.example", "readonly", 900));
        assertEquals(List.of(), again.errors());
        assertTrue(secrets.calls("CreateSecret") > creates + 1, "the first create hit the reserved name");
        FakeSecretsManager.Secret secret = secrets.secret("pg-ephemeral/again@acme.example/readonly");
        assertEquals(again.body().get("role"), secret.tags.get("pg-ephemeral:role"));
        broker.handle(Events.deescalate(second, "again@acme.example", "readonly"));
    }

    @Test
    void aNewerCredentialKeepsTheSecretWhenTheOlderOneEnds() throws Exception {
        String older = Events.newRunId();
        String newer = Events.newRunId();
        SymResponse a = broker.handle(Events.escalate(older, "two.runs@acme.example", "readonly", 900));
        SymResponse b = broker.handle(Events.escalate(newer, "two.runs@acme.example", "readonly", 900));
        assertEquals(List.of(), a.errors());
        assertEquals(List.of(), b.errors());
        String secretId = (String) b.body().get("secret_id");
        assertEquals(b.body().get("role"), secrets.secret(secretId).tags.get("pg-ephemeral:role"));

        SymResponse endOlder = broker.handle(Events.deescalate(older, "two.runs@acme.example", "readonly"));
        assertEquals("kept_for_newer", ((Map<?, ?>) ((List<?>) endOlder.body().get("removed")).get(0)).get("secret"));
        assertFalse(Db.roleExists((String) a.body().get("role")));
        env.login((String) b.body().get("role"), passwordOf(secretId)).close();

        broker.handle(Events.deescalate(newer, "two.runs@acme.example", "readonly"));
        assertNull(secrets.secret(secretId));
    }

    @Test
    void aRoleThatOwnsATableIsDisabledAndTheLedgerSaysWhy() throws Exception {
        String run = Events.newRunId();
        SymResponse response = broker.handle(Events.escalate(run, "builder@acme.example", "readonly", 900));
        String role = (String) response.body().get("role");
        String table = "scratch.t_" + role;
        try (Connection c = env.login(role, passwordOf((String) response.body().get("secret_id")));
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (x int)");
        }
        SymResponse ended = broker.handle(Events.deescalate(run, "builder@acme.example", "readonly"));
        assertEquals(List.of(), ended.errors());
        Map<?, ?> removed = (Map<?, ?>) ((List<?>) ended.body().get("removed")).get(0);
        assertEquals("disabled", removed.get("role_outcome"));
        assertEquals("deleted", removed.get("secret"));

        Map<String, Object> row = Db.query("SELECT rolcanlogin, rolpassword, extract(epoch FROM rolvaliduntil) AS until"
                + " FROM pg_authid WHERE rolname = ?", role).get(0);
        assertEquals(false, row.get("rolcanlogin"));
        assertNull(row.get("rolpassword"));
        assertEquals(0, ((Number) row.get("until")).intValue());
        assertEquals(List.of("ephemeral_managed"), Db.memberships(role), "target roles revoked, marker kept");
        assertEquals(List.of("requested", "issued", "disabled"), Db.ledgerEvents(run));
        assertTrue(((String) Db.ledger(run).get(2).get("detail")).contains("owner of table " + table));

        Db.execute("DROP TABLE " + table + "; DROP ROLE \"" + role + "\"");
    }

    @Test
    void withReassignOwnedConfiguredTheObjectsMoveAndTheRoleIsDropped() throws Exception {
        try (Broker reassigning = new Broker(Map.of("broker.reassign-owned-to", TestEnvironment.HEIR))) {
            String run = Events.newRunId();
            SymResponse response = reassigning.handle(Events.escalate(run, "heir@acme.example", "readonly", 900));
            String role = (String) response.body().get("role");
            String table = "t_" + role;
            try (Connection c = env.login(role, passwordOf((String) response.body().get("secret_id")));
                 Statement s = c.createStatement()) {
                s.execute("CREATE TABLE scratch." + table + " (x int)");
            }
            SymResponse ended = reassigning.handle(Events.deescalate(run, "heir@acme.example", "readonly"));
            assertEquals(List.of(), ended.errors());
            assertFalse(Db.roleExists(role));
            assertEquals(TestEnvironment.HEIR, Db.value("SELECT tableowner FROM pg_tables WHERE schemaname = 'scratch'"
                    + " AND tablename = ?", table));
            assertEquals(List.of("requested", "issued", "revoked"), Db.ledgerEvents(run));
            Db.execute("DROP TABLE scratch." + table);
        }
    }

    @Test
    void aSuperuserTargetIsNeverGranted() {
        try (Broker misconfigured = new Broker(Map.of("broker.targets", "root=postgres"))) {
            String run = Events.newRunId();
            List<String> roles = Db.managedRoles();
            SymResponse response = misconfigured.handle(Events.escalate(run, "root@acme.example", "root", 900));
            assertEquals(1, response.errors().size());
            assertTrue(response.errors().get(0).contains("role postgres has SUPERUSER"), response.errors().get(0));
            assertEquals(roles, Db.managedRoles());
            // Refused before anything is written, the ledger included.
            assertEquals(List.of(), Db.ledgerEvents(run));
        }
    }

    @Test
    void aCredentialThatCannotBeRecordedIsNeverIssued() {
        try (Broker noLedger = new Broker(Map.of("broker.ledger-url", "jdbc:postgresql://127.0.0.1:1/ledger"))) {
            String run = Events.newRunId();
            List<String> roles = Db.managedRoles();
            int creates = secrets.calls("CreateSecret");
            SymResponse response = noLedger.handle(Events.escalate(run, "unrecorded@acme.example", "readonly", 900));
            assertEquals(1, response.errors().size());
            assertTrue(response.errors().get(0).startsWith("the ledger is unavailable"), response.errors().get(0));
            assertEquals(roles, Db.managedRoles());
            assertEquals(creates, secrets.calls("CreateSecret"));
        }
    }

    @Test
    void deescalateWorksForATargetRemovedFromTheAllowListSince() {
        String run = Events.newRunId();
        SymResponse issued = broker.handle(Events.escalate(run, "removed.target@acme.example", "analytics", 900));
        try (Broker narrower = new Broker(Map.of("broker.targets", "readonly=readonly"))) {
            SymResponse ended = narrower.handle(Events.deescalate(run, "removed.target@acme.example", "analytics"));
            assertEquals(List.of(), ended.errors());
        }
        assertFalse(Db.roleExists((String) issued.body().get("role")));
    }

    @Test
    void withoutARunIdDeescalateEndsEveryOpenCredentialOfTheRequesterForTheTarget() {
        String a = Events.newRunId();
        String b = Events.newRunId();
        String role = (String) broker.handle(Events.escalate(a, "norun@acme.example", "readonly", 900)).body().get("role");
        String other = (String) broker.handle(Events.escalate(b, "norun@acme.example", "analytics", 900)).body().get("role");
        Map<String, Object> event = Events.deescalate(a, "norun@acme.example", "readonly");
        Events.set(event, null, "run", "srn");
        SymResponse ended = broker.handle(event);
        assertEquals(List.of(), ended.errors());
        assertFalse(Db.roleExists(role));
        assertTrue(Db.roleExists(other), "another target's credential is untouched");
        broker.handle(Events.deescalate(b, "norun@acme.example", "analytics"));
    }

    @Test
    void aDeescalateNamingSomeoneElsesRunIsRefused() {
        String run = Events.newRunId();
        String role = (String) broker.handle(Events.escalate(run, "victim@acme.example", "readonly", 900))
                .body().get("role");
        SymResponse response = broker.handle(Events.deescalate(run, "attacker@acme.example", "readonly"));
        assertEquals(1, response.errors().size());
        assertTrue(Db.roleExists(role));
        assertNotNull(secrets.secret("pg-ephemeral/victim@acme.example/readonly"));
        assertNotEquals(List.of(), Db.ledgerEvents(run));
        broker.handle(Events.deescalate(run, "victim@acme.example", "readonly"));
    }
}
