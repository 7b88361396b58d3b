package io.pgephemeral.postgres;

import io.pgephemeral.database.Sql;
import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.NewLogin;
import io.pgephemeral.broker.Target;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.testing.Backends;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where the role-administration lock has to be. The server runs a full PBKDF2 inside
 * {@code CREATE ROLE ... PASSWORD 'SCRAM-SHA-256$...'}; a lock held across it serialises every
 * escalation behind that hash (the benchmark's floor halves its throughput at 16 connections).
 * These tests establish, on every supported major, that creating distinct roles needs no lock, and
 * that the broker takes it only after the creation.
 */
@Tag("compat")
class RoleLockScopeTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final long LOCK_KEY = 7262931L;
    private static final TargetDatabase database =
            new TargetDatabase(env.jdbcUrl(), TestEnvironment.BOT, env.botPassword(), 2);
    private static final PostgresRoles roles = new PostgresRoles(database,
            new RoleAdminSettings(TestEnvironment.MARKER, LOCK_KEY, Duration.ofSeconds(5), null));

    @AfterAll
    static void close() {
        database.close();
    }

    /**
     * Eight sessions create, grant and drop distinct logins at once with no advisory lock at all,
     * the statements exactly as the broker sends them. Not one statement fails, and every login
     * ends with both its memberships: the catalog needs no lock to keep distinct roles apart.
     */
    @Test
    void distinctRolesCanBeCreatedGrantedAndDroppedConcurrentlyWithoutTheLock() throws Exception {
        Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        List<String> created = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger names = new AtomicInteger();
        String grantOptions = env.serverMajor() >= 16 ? " WITH INHERIT FALSE, SET FALSE" : "";
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> sessions = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                sessions.add(pool.submit(() -> {
                    try (Connection c = env.login(TestEnvironment.BOT, env.botPassword());
                         Statement s = c.createStatement()) {
                        c.setAutoCommit(false);
                        String previous = null;
                        for (int i = 0; i < 12; i++) {
                            String role = Sql.ident("unlocked_" + names.incrementAndGet());
                            try {
                                s.execute("CREATE ROLE " + role + " LOGIN PASSWORD " + Sql.literal(verifier())
                                        + " VALID UNTIL " + Sql.timestamp(Instant.now().plusSeconds(600)));
                                s.execute("GRANT " + TestEnvironment.MARKER + " TO " + role + grantOptions);
                                s.execute("GRANT readonly TO " + role);
                                c.commit();
                                created.add(role);
                                if (previous != null) {
                                    s.execute("ALTER ROLE " + previous + " NOLOGIN");
                                    s.execute("DROP ROLE " + previous);
                                    c.commit();
                                    created.remove(previous);
                                }
                                previous = role;
                            } catch (SQLException e) {
                                c.rollback();
                                failures.computeIfAbsent(e.getSQLState() + ": " + e.getMessage(),
                                        k -> new AtomicInteger()).incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> session : sessions) {
                session.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        try {
            assertEquals(Map.of(), failures);
            assertEquals(8, created.size(), "each session keeps its last login");
            for (String quoted : created) {
                String role = quoted.replace("\"", "");
                assertEquals(List.of("ephemeral_managed", "readonly"), Db.memberships(role).stream().sorted().toList());
            }
        } finally {
            created.forEach(role -> Db.execute("DROP ROLE IF EXISTS " + role));
        }
    }

    /**
     * While another session holds the lock, the broker's creation has already run CREATE ROLE (its
     * backend holds the row lock on pg_authid that the insert takes) and waits for the lock only
     * to grant; when the lock is released, the login is complete.
     */
    @Test
    void theBrokerCreatesTheRoleBeforeItWaitsForTheLock() throws Exception {
        String role = "lock_scope_" + System.nanoTime();
        try (Connection holder = env.admin()) {
            holder.setAutoCommit(false);
            try (Statement s = holder.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
            }
            CompletableFuture<Void> create = CompletableFuture.runAsync(() -> roles.create(login(role)));
            int pid = Backends.awaitBrokerWaitingForLock();
            assertEquals(true, Db.value("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = ?"
                    + " AND relation = 'pg_catalog.pg_authid'::regclass AND mode = 'RowExclusiveLock')", pid),
                    "CREATE ROLE ran before the wait");
            assertFalse(Db.roleExists(role), "nothing is visible before the commit");
            holder.rollback();
            create.get(30, TimeUnit.SECONDS);
        }
        try {
            assertEquals(List.of("ephemeral_managed", "readonly"), Db.memberships(role).stream().sorted().toList());
        } finally {
            roles.remove(role);
        }
    }

    /** A target that does not exist is named in one clear line, and no role is left behind. */
    @Test
    void aMissingTargetIsNamedAndNothingIsCreated() {
        String role = "missing_target_" + System.nanoTime();
        BrokerException e = assertThrows(BrokerException.class, () -> roles.create(new NewLogin(role, verifier(),
                Instant.now().plusSeconds(600), new Target("gone", List.of("readonly", "no_such_role"), true), 2)));
        assertEquals("target 'gone' is refused: target role no_such_role does not exist in the database", e.getMessage());
        assertFalse(Db.roleExists(role));
        assertTrue(Db.managedRoles().stream().noneMatch(r -> r.equals(role)));
    }

    private static NewLogin login(String role) {
        return new NewLogin(role, verifier(), Instant.now().plusSeconds(600),
                new Target("readonly", List.of("readonly"), true), 2);
    }

    private static String verifier() {
        PasswordGenerator g = new PasswordGenerator();
        return ScramVerifier.of(g.generate(32), g.randomBytes(16), ScramVerifier.DEFAULT_ITERATIONS);
    }
}
