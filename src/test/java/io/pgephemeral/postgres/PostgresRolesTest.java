package io.pgephemeral.postgres;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.NewLogin;
import io.pgephemeral.broker.RoleNameTaken;
import io.pgephemeral.broker.RoleRemoval;
import io.pgephemeral.broker.Target;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.DelayProxy;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The database port on its own, as the (non-superuser) bot. */
@Tag("compat")
class PostgresRolesTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final TargetDatabase database =
            new TargetDatabase(env.jdbcUrl(), TestEnvironment.BOT, env.botPassword(), 2);
    private static final PostgresRoles roles = new PostgresRoles(database,
            new RoleAdminSettings(TestEnvironment.MARKER, 7262931L, Duration.ofSeconds(5), null));
    private static final Target READONLY = new Target("readonly", List.of("readonly"), true);

    @AfterAll
    static void close() {
        database.close();
    }

    private static NewLogin login(String name, Target target) {
        PasswordGenerator g = new PasswordGenerator();
        return new NewLogin(name, ScramVerifier.of(g.generate(32), g.randomBytes(16), 4096),
                Instant.now().plusSeconds(600), target, 3);
    }

    @Test
    void anExistingRoleOfTheSameNameIsNeverTakenOver() {
        Db.execute("CREATE ROLE existing_person LOGIN PASSWORD NULL CONNECTION LIMIT 7");
        try {
            assertThrows(RoleNameTaken.class, () -> roles.create(login("existing_person", READONLY)));
            assertEquals(7, Db.value("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'existing_person'"));
            assertEquals(List.of(), Db.memberships("existing_person"));
        } finally {
            Db.execute("DROP ROLE existing_person");
        }
    }

    @Test
    void rolesTheBrokerDidNotCreateAreNeverRemoved() {
        for (String other : List.of("not_allowed", "readonly", TestEnvironment.BOT, "postgres")) {
            BrokerException refused = assertThrows(BrokerException.class, () -> roles.remove(other));
            assertTrue(refused.getMessage().contains("pg-ephemeral did not create it"), refused.getMessage());
            assertTrue(Db.roleExists(other));
        }
    }

    /**
     * Over a network every round trip is the invocation's time: the create's check, the login, its
     * grants and the COMMIT travel together. The check still decides inside the transaction (a
     * refused target leaves nothing, below); it is the server that stops short of the COMMIT.
     */
    @Test
    void aLoginIsCreatedInOneRoundTrip() throws Exception {
        // Two milliseconds each way: a batch the driver writes in pieces stays one round trip unless
        // the pieces are that far apart (the relay counts at the hand-over to the client).
        try (DelayProxy relay = DelayProxy.forJdbcUrl(env.jdbcUrl(), 2000)) {
            TargetDatabase relayed = new TargetDatabase(relay.jdbcUrl(), TestEnvironment.BOT, env.botPassword(), 1);
            try {
                PostgresRoles overTheRelay = warmedUp(relayed, "eph_one_trip_warm");
                long before = relay.roundTrips();
                overTheRelay.create(login("eph_one_trip", READONLY));
                assertEquals(1, relay.roundTrips() - before);
                assertTrue(Db.roleExists("eph_one_trip"));
                assertEquals(List.of(TestEnvironment.MARKER, "readonly"), Db.memberships("eph_one_trip"));
            } finally {
                relayed.close();
                for (String role : List.of("eph_one_trip_warm", "eph_one_trip")) {
                    if (Db.roleExists(role)) {
                        roles.remove(role);
                    }
                }
            }
        }
    }

    /**
     * Roles administered over {@code database}, whose one pooled connection a first create (of
     * {@code warm}) has opened and set up, so that what a test counts or intercepts next is the
     * create alone.
     */
    private static PostgresRoles warmedUp(TargetDatabase database, String warm) {
        PostgresRoles roles = new PostgresRoles(database,
                new RoleAdminSettings(TestEnvironment.MARKER, 7262931L, Duration.ofSeconds(5), null));
        roles.create(login(warm, READONLY));
        return roles;
    }

    @Test
    void aFailedCreateLeavesNothingHalfDone() {
        Target missing = new Target("broken", List.of("readonly", "no_such_role"), true);
        BrokerException e = assertThrows(BrokerException.class, () -> roles.create(login("eph_half_done", missing)));
        assertTrue(e.getMessage().contains("target role no_such_role does not exist"), e.getMessage());
        assertFalse(Db.roleExists("eph_half_done"));
    }

    @Test
    void aTargetThatReachesServerFilesThroughAMembershipIsRefused() {
        Db.execute("CREATE ROLE sneaky NOLOGIN; CREATE ROLE sneakier NOLOGIN; GRANT pg_read_server_files TO sneakier;"
                + " GRANT sneakier TO sneaky");
        if (env.serverMajor() >= 16) {
            Db.execute("GRANT sneaky TO ephemeral_bot WITH ADMIN TRUE, INHERIT FALSE, SET FALSE");
        }
        try {
            Target sneaky = new Target("sneaky", List.of("sneaky"), true);
            BrokerException e = assertThrows(BrokerException.class, () -> roles.create(login("eph_sneaky", sneaky)));
            assertTrue(e.getMessage().contains("role sneaky is a member of pg_read_server_files"), e.getMessage());
            assertFalse(Db.roleExists("eph_sneaky"));
        } finally {
            Db.execute("DROP ROLE sneaky; DROP ROLE sneakier");
        }
    }

    /**
     * The guard refuses a target, and by the time the broker re-runs the check to say why, an
     * administrator has fixed the target. The broker must not create the login on the fixed
     * target's word nor report a problem the check no longer finds: it says that the target changed
     * and that nothing was created. The relay holds the server's refusal back until the fix is
     * committed (the refusal's own words mark the answer), so the recheck always sees it.
     */
    @Test
    void aTargetFixedBetweenTheRefusalAndItsRecheckIsReportedAsChanged() throws Exception {
        Db.execute("CREATE ROLE fixed_late NOLOGIN; CREATE ROLE fixed_later NOLOGIN;"
                + " GRANT pg_read_server_files TO fixed_later; GRANT fixed_later TO fixed_late");
        if (env.serverMajor() >= 16) {
            Db.execute("GRANT fixed_late TO ephemeral_bot WITH ADMIN TRUE, INHERIT FALSE, SET FALSE");
        }
        try (DelayProxy relay = DelayProxy.forJdbcUrl(env.jdbcUrl(), 0)) {
            TargetDatabase relayed = new TargetDatabase(relay.jdbcUrl(), TestEnvironment.BOT, env.botPassword(), 1);
            try {
                PostgresRoles overTheRelay = warmedUp(relayed, "eph_fixed_late_warm");
                relay.beforeAnswerContaining(RoleChecks.REFUSAL, () -> Db.execute("REVOKE fixed_later FROM fixed_late"));
                Target target = new Target("fixed_late", List.of("fixed_late"), true);
                BrokerException e = assertThrows(BrokerException.class,
                        () -> overTheRelay.create(login("eph_fixed_late", target)));
                relay.requireHookRan();
                assertTrue(e.getMessage().startsWith("a target or the marker role changed while the login was created"),
                        e.getMessage());
                assertTrue(e.getMessage().endsWith("nothing was created: try again"), e.getMessage());
                assertFalse(Db.roleExists("eph_fixed_late"));
                assertEquals(List.of(), Db.memberships("fixed_late"));
            } finally {
                relayed.close();
                if (Db.roleExists("eph_fixed_late_warm")) {
                    roles.remove("eph_fixed_late_warm");
                }
            }
        } finally {
            Db.execute("DROP ROLE fixed_late; DROP ROLE fixed_later");
        }
    }

    @Test
    void removingAnAbsentRoleSaysSo() {
        assertEquals(RoleRemoval.Outcome.ABSENT, roles.remove("eph_never_existed").outcome());
    }

    @Test
    void namesWithQuotesAreQuotedNotExecuted() {
        String odd = "eph_\"; DROP ROLE readonly; --";
        roles.create(login(odd, READONLY));
        assertTrue(Db.roleExists(odd));
        assertTrue(Db.roleExists("readonly"));
        assertEquals(RoleRemoval.Outcome.DROPPED, roles.remove(odd).outcome());
        assertFalse(Db.roleExists(odd));
    }

    @Test
    void roleDdlWaitsForTheAdvisoryLockAndGivesUpCleanly() throws Exception {
        PostgresRoles impatient = new PostgresRoles(database,
                new RoleAdminSettings(TestEnvironment.MARKER, 7262931L, Duration.ofMillis(300), null));
        try (var holder = env.admin(); var s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("SELECT pg_advisory_xact_lock(7262931)");
            BrokerException e = assertThrows(BrokerException.class, () -> impatient.create(login("eph_waited", READONLY)));
            assertTrue(e.getMessage().contains("waiting for the role-administration lock"), e.getMessage());
            holder.rollback();
        }
        assertFalse(Db.roleExists("eph_waited"));
        // The same connection pool still works once the lock is free.
        impatient.create(login("eph_waited", READONLY));
        assertEquals(RoleRemoval.Outcome.DROPPED, impatient.remove("eph_waited").outcome());
    }
}
