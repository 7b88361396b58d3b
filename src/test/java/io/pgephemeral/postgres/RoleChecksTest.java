package io.pgephemeral.postgres;

import io.pgephemeral.broker.Target;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guard that stops a login's batch short of its COMMIT, held to the check whose rows say why:
 * for every case the guard fails exactly when the check finds a problem, as the bot, on the server.
 */
@Tag("compat")
class RoleChecksTest {

    private static final TestEnvironment env = TestEnvironment.get();

    @BeforeAll
    static void roles() {
        Db.execute("CREATE ROLE guard_files NOLOGIN; GRANT pg_read_server_files TO guard_files;"
                + " CREATE ROLE guard_login LOGIN; CREATE ROLE guard_createdb NOLOGIN CREATEDB");
    }

    @AfterAll
    static void dropRoles() {
        Db.execute("DROP ROLE guard_files; DROP ROLE guard_login; DROP ROLE guard_createdb");
    }

    private static RoleChecks.Subject target(String role) {
        return RoleChecks.Subject.target(new Target("t_" + role, List.of(role), true), role);
    }

    @Test
    void theGuardFailsExactlyWhenTheCheckFindsAProblem() throws Exception {
        Map<List<RoleChecks.Subject>, Boolean> cases = Map.of(
                List.of(target("readonly"), RoleChecks.Subject.marker(TestEnvironment.MARKER)), false,
                // LOGIN and CREATEDB are refused only for the marker and reassign roles.
                List.of(target("guard_login"), target("guard_createdb")), false,
                List.of(RoleChecks.Subject.marker("guard_login")), true,
                List.of(RoleChecks.Subject.reassign("guard_createdb")), true,
                List.of(target("readonly"), target("guard_files")), true,
                List.of(target("no_such_role")), true,
                List.of(RoleChecks.Subject.target(new Target("t_files", List.of("guard_files"), true,
                        Set.of("pg_read_server_files")), "guard_files")), false);
        try (Connection c = DriverManager.getConnection(env.jdbcUrl(), TestEnvironment.BOT, env.botPassword())) {
            cases.forEach((subjects, refused) -> {
                RoleChecks checks = new RoleChecks(subjects);
                try {
                    assertEquals(refused, !checks.run(c).isEmpty(), "the check, " + subjects);
                    String failure = guardFailure(c, checks);
                    assertEquals(refused, failure != null, "the guard, " + subjects + ": " + failure);
                    if (failure != null) {
                        assertTrue(failure.contains(RoleChecks.REFUSAL), failure);
                    }
                } catch (SQLException e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    /** The guard's error message, or null when it passed (and then it returns no row). */
    private static String guardFailure(Connection c, RoleChecks checks) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(RoleChecks.GUARD)) {
            checks.bind(p, 1);
            try (ResultSet r = p.executeQuery()) {
                assertFalse(r.next(), "a passing guard returns nothing");
                return null;
            }
        } catch (SQLException e) {
            assertEquals("22P02", e.getSQLState(), e.getMessage());
            return e.getMessage();
        }
    }
}
