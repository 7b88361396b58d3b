package io.pgephemeral.broker;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole path through the Lambda handler, against a real PostgreSQL and the SDK's real client. */
@Tag("compat")
class EscalationEndToEndTest {

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

    @Test
    void escalateIssuesAWorkingLoginAndDeescalateRemovesEverything() throws Exception {
        String run = Events.newRunId();
        String requester = "grace.hopper@acme.example";
        Instant before = Instant.now().minusSeconds(1);
        SymResponse response = broker.handle(Events.escalate(run, requester, "readonly", 3600));
        assertEquals(List.of(), response.errors());

        Map<String, Object> body = response.body();
        String role = (String) body.get("role");
        String secretId = (String) body.get("secret_id");
        assertTrue(role.matches("eph_grace_hopper_[a-z2-7]{10}"), role);
        assertEquals("pg-ephemeral/grace.hopper@acme.example/readonly", secretId);
        Instant expires = Instant.parse((String) body.get("expires_at"));
        assertTrue(!expires.isBefore(before.plusSeconds(3600)) && !expires.isAfter(Instant.now().plusSeconds(3600)));
        assertEquals(false, body.get("duration_capped"));

        // The role, as PostgreSQL sees it.
        Map<String, Object> row = Db.query("SELECT rolcanlogin, rolsuper, rolcreaterole, rolinherit, rolconnlimit,"
                + " rolvaliduntil FROM pg_roles WHERE rolname = ?", role).get(0);
        assertEquals(true, row.get("rolcanlogin"));
        assertEquals(false, row.get("rolsuper"));
        assertEquals(false, row.get("rolcreaterole"));
        assertEquals(true, row.get("rolinherit"));
        assertEquals(5, row.get("rolconnlimit"));
        // Read as an instant: right whatever the server's (Pacific/Kiritimati) and JVM's zones are.
        assertEquals(expires.getEpochSecond(), ((Number) Db.value(
                "SELECT extract(epoch FROM rolvaliduntil)::bigint FROM pg_roles WHERE rolname = ?", role)).longValue());
        assertEquals(List.of("ephemeral_managed", "readonly"), Db.memberships(role));

        // The secret, as Secrets Manager holds it: the RDS shape plus expiry, tagged for ABAC.
        FakeSecretsManager.Secret secret = env.secretsManager().secret(secretId);
        assertNotNull(secret);
        Map<String, Object> value = env.json().readValue(secret.currentValue(), Map.class);
        assertEquals("postgres", value.get("engine"));
        assertEquals("127.0.0.1", value.get("host"));
        assertEquals(role, value.get("username"));
        assertEquals("postgres", value.get("dbname"));
        assertEquals(expires.toString(), value.get("expires_at"));
        assertEquals(requester, secret.tags.get("pg-ephemeral:requester"));
        assertEquals("readonly", secret.tags.get("pg-ephemeral:target"));
        assertEquals(role, secret.tags.get("pg-ephemeral:role"));
        String password = (String) value.get("password");
        assertEquals(32, password.length());

        // The password logs in (SCRAM over TCP) and gets the target's privileges; a wrong one does not.
        try (Connection session = env.login(role, password); Statement s = session.createStatement();
             ResultSet r = s.executeQuery("SELECT current_user, count(*) FROM orders")) {
            r.next();
            assertEquals(role, r.getString(1));
            assertEquals(2, r.getLong(2));
        }
        SQLException wrong = assertThrows(SQLException.class, () -> env.login(role, password.substring(1) + "x"));
        assertEquals("28P01", wrong.getSQLState());

        // The ledger: requested, then issued, with who approved it and why; never the password.
        List<Map<String, Object>> ledger = Db.ledger(run);
        assertEquals(List.of("requested", "issued"), Db.ledgerEvents(run));
        assertEquals("ops-lead@acme.example", ledger.get(1).get("approver"));
        assertEquals("Investigate INC-4821 slow checkout queries", ledger.get(1).get("reason"));
        assertEquals(role, ledger.get(1).get("role_name"));
        assertEquals(secretId, ledger.get(1).get("secret_id"));
        assertFalse(ledger.toString().contains(password));
        assertFalse(response.toString().contains(password));

        // Deescalate: role dropped, secret deleted for good, ledger closed.
        SymResponse ended = broker.handle(Events.deescalate(run, requester, "readonly"));
        assertEquals(List.of(), ended.errors());
        assertFalse(Db.roleExists(role));
        assertNull(env.secretsManager().secret(secretId));
        assertEquals(List.of("requested", "issued", "revoked"), Db.ledgerEvents(run));
        assertThrows(SQLException.class, () -> env.login(role, password));
    }

    @Test
    void thePasswordNeverReachesTheServerOnlyItsVerifier() throws Exception {
        String run = Events.newRunId();
        SymResponse response = broker.handle(Events.escalate(run, "ada@acme.example", "readonly", "30m"));
        assertEquals(List.of(), response.errors());
        String role = (String) response.body().get("role");
        String password = passwordOf((String) response.body().get("secret_id"));

        String stored = (String) Db.value("SELECT rolpassword FROM pg_authid WHERE rolname = ?", role);
        assertTrue(stored.matches("SCRAM-SHA-256\\$4096:[A-Za-z0-9+/=]{24}\\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}"),
                stored);
        // The server logs every statement here; the CREATE ROLE is in the log, the password is not.
        String log = Files.readString(env.serverLog());
        assertTrue(log.contains("CREATE ROLE \"" + role + "\""), "statement logging is on");
        assertFalse(log.contains(password));
        assertTrue(log.contains(stored), "what the server saw is the verifier");
        broker.handle(Events.deescalate(run, "ada@acme.example", "readonly"));
    }

    @Test
    void anOpenSessionIsTerminatedAtDeescalateEvenAfterSetRole() throws Exception {
        String run = Events.newRunId();
        SymResponse response = broker.handle(Events.escalate(run, "linus@acme.example", "admin", 600));
        assertEquals(List.of(), response.errors());
        String role = (String) response.body().get("role");
        String password = passwordOf((String) response.body().get("secret_id"));
        assertEquals(false, Db.value("SELECT rolinherit FROM pg_roles WHERE rolname = ?", role), "admin is noinherit");

        try (Connection plain = env.login(role, password); Connection switched = env.login(role, password)) {
            try (Statement s = switched.createStatement()) {
                s.execute("SET ROLE orders_ro");
                s.executeQuery("SELECT count(*) FROM orders").close();
            }
            SymResponse ended = broker.handle(Events.deescalate(run, "linus@acme.example", "admin"));
            assertEquals(List.of(), ended.errors());
            List<?> removed = (List<?>) ended.body().get("removed");
            assertEquals(2, ((Map<?, ?>) removed.get(0)).get("sessions_terminated"));
            for (Connection c : List.of(plain, switched)) {
                try (Statement s = c.createStatement()) {
                    assertThrows(SQLException.class, () -> s.executeQuery("SELECT 1"));
                }
            }
        }
        assertFalse(Db.roleExists(role));
    }

    @Test
    void anExpiredPasswordIsRefused() throws Exception {
        String run = Events.newRunId();
        SymResponse response = broker.handle(Events.escalate(run, "short.lived@acme.example", "readonly", "2s"));
        assertEquals(List.of(), response.errors());
        String role = (String) response.body().get("role");
        String password = passwordOf((String) response.body().get("secret_id"));
        env.login(role, password).close();
        Thread.sleep(Duration.between(Instant.now(), Instant.parse((String) response.body().get("expires_at")))
                .plusMillis(1200).toMillis());
        SQLException expired = assertThrows(SQLException.class, () -> env.login(role, password));
        assertEquals("28P01", expired.getSQLState());
        broker.handle(Events.deescalate(run, "short.lived@acme.example", "readonly"));
    }

    @Test
    void aDurationAboveTheMaximumIsCappedAndSaidSo() {
        String run = Events.newRunId();
        SymResponse response = broker.handle(Events.escalate(run, "greedy@acme.example", "readonly", "24h"));
        assertEquals(List.of(), response.errors());
        assertEquals(true, response.body().get("duration_capped"));
        assertEquals(8 * 3600L, ((Number) response.body().get("duration_granted_seconds")).longValue());
        assertEquals(24 * 3600L, ((Number) response.body().get("duration_requested_seconds")).longValue());
        assertTrue(((String) response.body().get("message")).contains("capped to the maximum of 8h"));
        Instant expires = Instant.parse((String) response.body().get("expires_at"));
        assertTrue(Duration.between(Instant.now(), expires).compareTo(Duration.ofHours(8)) <= 0);
        assertTrue(((String) Db.ledger(run).get(1).get("detail")).contains("capped from 1d to 8h"));
        broker.handle(Events.deescalate(run, "greedy@acme.example", "readonly"));
    }

    @Test
    void aTargetWithSeveralRolesGrantsThemAll() {
        String run = Events.newRunId();
        SymResponse response = broker.handle(Events.escalate(run, "multi@acme.example", "analytics", "1h"));
        assertEquals(List.of(), response.errors());
        String role = (String) response.body().get("role");
        assertEquals(List.of("analytics_ro", "ephemeral_managed", "orders_ro"), Db.memberships(role));
        broker.handle(Events.deescalate(run, "multi@acme.example", "analytics"));
        assertFalse(Db.roleExists(role));
    }

    @SuppressWarnings("unchecked")
    static String passwordOf(String secretId) throws Exception {
        FakeSecretsManager.Secret secret = env.secretsManager().secret(secretId);
        return (String) env.json().readValue(secret.currentValue(), Map.class).get("password");
    }
}
