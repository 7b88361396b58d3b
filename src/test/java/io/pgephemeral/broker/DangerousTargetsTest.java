package io.pgephemeral.broker;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Targets and configured roles that would hand a temporary login more than the operator meant: a
 * target that inherits a predefined role with power (every one the server defines, read from
 * {@code pg_roles}, so each major is judged by what it really has), a marker or reassign role that
 * is too long, missing, able to log in or privileged. Each is refused with one line that says what
 * to do, and nothing is created: no role, no secret, no ledger row.
 */
@Tag("compat")
class DangerousTargetsTest {

    private static final TestEnvironment env = TestEnvironment.get();

    /**
     * Every predefined role of this server. pg_database_owner is left out because it cannot be
     * granted at all (its one member is the database's owner, implicitly).
     */
    static List<String> predefinedRoles() {
        return Db.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'pg\\_%' AND rolname <> 'pg_database_owner'"
                + " ORDER BY 1").stream().map(r -> (String) r.get("rolname")).toList();
    }

    /** The most dangerous predefined role this major has: reads every table and pg_authid. */
    private static String readAll() {
        return env.serverMajor() >= 14 ? "pg_read_all_data" : "pg_read_server_files";
    }

    @Test
    void thePredefinedRolesOfEachMajorAreTheOnesTheChecksCover() {
        List<String> roles = predefinedRoles();
        List<String> expected = new ArrayList<>(List.of("pg_execute_server_program", "pg_monitor",
                "pg_read_all_settings", "pg_read_all_stats", "pg_read_server_files", "pg_signal_backend",
                "pg_stat_scan_tables", "pg_write_server_files"));
        if (env.serverMajor() >= 14) {
            expected.addAll(List.of("pg_read_all_data", "pg_write_all_data"));
        }
        if (env.serverMajor() >= 15) {
            expected.add("pg_checkpoint");
        }
        if (env.serverMajor() >= 16) {
            expected.addAll(List.of("pg_create_subscription", "pg_use_reserved_connections"));
        }
        if (env.serverMajor() >= 17) {
            expected.add("pg_maintain");
        }
        if (env.serverMajor() >= 18) {
            expected.add("pg_signal_autovacuum_worker");
        }
        assertTrue(roles.containsAll(expected), "missing from " + roles + ": expected " + expected);
    }

    /** A target role that reaches {@code predefined} through a middle role, grantable by the bot and its creators. */
    private static String riskyTarget(String predefined) {
        String role = "risky_" + UUID.randomUUID().toString().substring(0, 8);
        Db.execute("CREATE ROLE " + role + "_mid NOLOGIN; CREATE ROLE " + role + " NOLOGIN;"
                + " GRANT " + role + "_mid TO " + role + (predefined == null ? "" : "; GRANT " + predefined
                + " TO " + role + "_mid"));
        Db.execute(env.grantTarget(role));
        return role;
    }

    private static void dropRoles(String... roles) {
        for (String role : roles) {
            Db.execute("DROP ROLE IF EXISTS " + role + "; DROP ROLE IF EXISTS " + role + "_mid");
        }
    }

    private static Broker broker(Map<String, Object> overrides) {
        return new Broker(new HashMap<>(overrides));
    }

    private record Before(List<String> roles, long ledger, int secrets, int creates) {
        static Before now() {
            return new Before(Db.managedRoles(), Db.ledgerSize(), env.secretsManager().liveSecrets().size(),
                    env.secretsManager().calls("CreateSecret"));
        }

        /** The response is one error line containing each of {@code expected}, and nothing changed. */
        void assertRefusedWithNothingChanged(SymResponse response, String... expected) {
            assertEquals(1, response.errors().size(), String.valueOf(response.errors()));
            String error = response.errors().get(0);
            for (String e : expected) {
                assertTrue(error.contains(e), "expected '" + e + "' in: " + error);
            }
            assertFalse(error.contains("\n"), "one line: " + error);
            assertFalse(error.contains("Exception"), error);
            assertEquals(roles, Db.managedRoles(), "no temporary role");
            assertEquals(ledger, Db.ledgerSize(), "no ledger row");
            assertEquals(secrets, env.secretsManager().liveSecrets().size(), "no secret");
            assertEquals(creates, env.secretsManager().calls("CreateSecret"), "no CreateSecret call");
        }
    }

    @Test
    void aTargetThatInheritsAnyPredefinedRoleIsRefusedAndNothingIsCreated() {
        List<String> predefined = predefinedRoles();
        List<String> targets = new ArrayList<>();
        StringBuilder spec = new StringBuilder();
        for (int i = 0; i < predefined.size(); i++) {
            targets.add(riskyTarget(predefined.get(i)));
            spec.append(i == 0 ? "" : ",").append("t").append(i).append('=').append(targets.get(i));
        }
        try (Broker broker = broker(Map.of("broker.targets", spec.toString()))) {
            for (int i = 0; i < predefined.size(); i++) {
                Before before = Before.now();
                SymResponse response = broker.handle(Events.escalate(Events.newRunId(), "mallory@acme.example",
                        "t" + i, 600));
                before.assertRefusedWithNothingChanged(response, "target 't" + i + "'", predefined.get(i),
                        ":allow=" + predefined.get(i), "BROKER_TARGETS");
            }
        } finally {
            dropRoles(targets.toArray(String[]::new));
        }
    }

    @Test
    void anEntryThatOptsInByNameIsIssuedAndOnlyForThatRole() {
        String risky = riskyTarget(readAll());
        String other = env.serverMajor() >= 14 ? "pg_write_all_data" : "pg_signal_backend";
        try (Broker broker = broker(Map.of("broker.targets",
                "reader=" + risky + ":allow=" + readAll() + ",wrong=" + risky + ":noinherit:allow=" + other))) {
            Before before = Before.now();
            before.assertRefusedWithNothingChanged(broker.handle(Events.escalate(Events.newRunId(),
                    "mallory@acme.example", "wrong", 600)), readAll());

            String run = Events.newRunId();
            SymResponse issued = broker.handle(Events.escalate(run, "dana@acme.example", "reader", 600));
            assertEquals(List.of(), issued.errors());
            String role = (String) issued.body().get("role");
            assertTrue(Db.memberships(role).contains(risky));
            assertEquals(List.of(), broker.handle(Events.deescalate(run, "dana@acme.example", "reader")).errors());
        } finally {
            dropRoles(risky);
        }
    }

    @Test
    void optingInAPredefinedRoleCoversTheRolesItContains() {
        String monitor = riskyTarget("pg_monitor"); // pg_monitor is a member of pg_read_all_stats and others
        try (Broker broker = broker(Map.of("broker.targets", "monitor=" + monitor + ":allow=pg_monitor"))) {
            String run = Events.newRunId();
            assertEquals(List.of(), broker.handle(Events.escalate(run, "dana@acme.example", "monitor", 600)).errors());
            assertEquals(List.of(), broker.handle(Events.deescalate(run, "dana@acme.example", "monitor")).errors());
        } finally {
            dropRoles(monitor);
        }
    }

    /**
     * Checked at first use, and again inside the transaction that creates the login: a target
     * given a predefined role after the broker started is still never granted. The ledger keeps
     * the attempt (requested, failed); no role and no secret exist.
     */
    @Test
    void aTargetGivenAPredefinedRoleAfterStartUpIsRefusedInsideTheRoleTransaction() {
        String risky = riskyTarget(null);
        try (Broker broker = broker(Map.of("broker.targets", "later=" + risky))) {
            String first = Events.newRunId();
            assertEquals(List.of(), broker.handle(Events.escalate(first, "dana@acme.example", "later", 600)).errors());
            assertEquals(List.of(), broker.handle(Events.deescalate(first, "dana@acme.example", "later")).errors());

            Db.execute("GRANT " + readAll() + " TO " + risky + "_mid");
            List<String> rolesBefore = Db.managedRoles();
            String run = Events.newRunId();
            SymResponse response = broker.handle(Events.escalate(run, "mallory@acme.example", "later", 600));
            assertEquals(1, response.errors().size());
            assertTrue(response.errors().get(0).contains(readAll()), response.errors().get(0));
            assertEquals(rolesBefore, Db.managedRoles());
            // The secret's write runs beside the role's transaction, so it may have happened; what
            // counts is that the refusal leaves no secret behind (and that its password never had a login).
            assertNull(env.secretsManager().secret("pg-ephemeral/mallory@acme.example/later"));
            assertEquals(List.of("requested", "failed"), Db.ledgerEvents(run));
        } finally {
            dropRoles(risky);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"broker.marker-role", "broker.reassign-owned-to"})
    void aConfiguredRoleNameOver63BytesIsAConfigurationErrorNamingTheSetting(String key) {
        String variable = "BROKER_" + key.substring("broker.".length()).replace('-', '_').toUpperCase();
        // 64 ASCII bytes, and 32 two-byte characters (64 bytes in 32 characters).
        for (String name : List.of("m".repeat(64), "é".repeat(32))) {
            try (Broker broker = broker(Map.of(key, name))) {
                Before before = Before.now();
                before.assertRefusedWithNothingChanged(broker.handle(Events.escalate(Events.newRunId(),
                        "dana@acme.example", "readonly", 600)), "the broker is misconfigured: " + variable, "63 bytes");
            }
        }
    }

    /** A marker role that could do anything: every temporary login is its member (and inherits it before 16). */
    @ParameterizedTest
    @ValueSource(strings = {"LOGIN", "CREATEDB", "CREATEROLE", "BYPASSRLS", "member of pg_signal_backend", "missing"})
    void aMarkerRoleThatIsMissingOrPrivilegedIsRefused(String kind) {
        String marker = "marker_" + UUID.randomUUID().toString().substring(0, 8);
        if (!kind.equals("missing")) {
            Db.execute("CREATE ROLE " + marker + (kind.startsWith("member") ? " NOLOGIN; GRANT pg_signal_backend TO "
                    + marker : kind.equals("LOGIN") ? " LOGIN" : " NOLOGIN " + kind));
            Db.execute("GRANT " + marker + " TO ephemeral_bot WITH ADMIN OPTION");
        }
        try (Broker broker = broker(Map.of("broker.marker-role", marker))) {
            Before before = Before.now();
            before.assertRefusedWithNothingChanged(broker.handle(Events.escalate(Events.newRunId(),
                    "dana@acme.example", "readonly", 600)), "BROKER_MARKER_ROLE", marker);
        } finally {
            Db.execute("DROP ROLE IF EXISTS " + marker);
        }
    }

    /** Objects a temporary login leaves behind are handed to this role: it must not be able to do more. */
    @ParameterizedTest
    @ValueSource(strings = {"postgres", "LOGIN", "member of pg_signal_backend", "missing"})
    void aReassignRoleThatIsMissingOrPrivilegedIsRefused(String kind) {
        String heir = kind.equals("postgres") ? "postgres" : "heir_" + UUID.randomUUID().toString().substring(0, 8);
        if (!kind.equals("missing") && !kind.equals("postgres")) {
            Db.execute("CREATE ROLE " + heir + (kind.startsWith("member") ? " NOLOGIN; GRANT pg_signal_backend TO "
                    + heir : " " + kind) + "; GRANT " + heir + " TO ephemeral_bot");
        }
        try (Broker broker = broker(Map.of("broker.reassign-owned-to", heir))) {
            Before before = Before.now();
            before.assertRefusedWithNothingChanged(broker.handle(Events.escalate(Events.newRunId(),
                    "dana@acme.example", "readonly", 600)), "BROKER_REASSIGN_OWNED_TO", heir);
        } finally {
            if (!heir.equals("postgres")) {
                Db.execute("DROP ROLE IF EXISTS " + heir);
            }
        }
    }

    /**
     * The attack: a temporary login creates an object (a SECURITY DEFINER function would run as its
     * owner); the reassign role is given a predefined role after start-up; at deescalate the object
     * must not be handed to it. The broker disables the login instead, as when no reassign role is set.
     */
    @Test
    void objectsAreNeverReassignedToARoleThatBecamePrivilegedAfterStartUp() throws Exception {
        String heir = "heir_" + UUID.randomUUID().toString().substring(0, 8);
        Db.execute("CREATE ROLE " + heir + " NOLOGIN; GRANT " + heir + " TO ephemeral_bot");
        String table = "scratch.left_" + UUID.randomUUID().toString().substring(0, 8);
        String role = null;
        try (Broker broker = broker(Map.of("broker.reassign-owned-to", heir))) {
            String run = Events.newRunId();
            SymResponse issued = broker.handle(Events.escalate(run, "dana@acme.example", "readonly", 600));
            assertEquals(List.of(), issued.errors());
            role = (String) issued.body().get("role");
            String password = (String) env.json().readValue(env.secretsManager()
                    .secret((String) issued.body().get("secret_id")).currentValue(), Map.class).get("password");
            try (Connection login = env.login(role, password); Statement s = login.createStatement()) {
                s.execute("CREATE TABLE " + table + " (x int)");
            }
            Db.execute("GRANT " + readAll() + " TO " + heir);

            SymResponse removed = broker.handle(Events.deescalate(run, "dana@acme.example", "readonly"));
            assertEquals(List.of(), removed.errors());
            assertEquals(role, Db.value("SELECT tableowner FROM pg_tables WHERE schemaname || '.' || tablename = ?",
                    table), "the object stays with the disabled login, not the privileged heir");
            assertEquals(false, Db.value("SELECT rolcanlogin FROM pg_roles WHERE rolname = ?", role));
        } finally {
            Db.execute("DROP TABLE IF EXISTS " + table);
            if (role != null) {
                Db.execute("DROP ROLE IF EXISTS " + role);
            }
            Db.execute("DROP ROLE IF EXISTS " + heir);
        }
    }
}
