package io.pgephemeral.database;

import io.pgephemeral.postgres.TargetDatabase;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.testing.TestEnvironment;
import org.postgresql.PGConnection;
import org.postgresql.core.BaseConnection;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pools' logins against the real server (which checks passwords with SCRAM-SHA-256): the
 * pool's settings reach the connections, a rejected password is renewed once, and a failure is one
 * line that says what to fix and holds no password.
 */
class LoginDataSourceTest {

    private static final TestEnvironment env = TestEnvironment.get();

    /** A password source of the test's own: hands out passwords in order, one per renewal. */
    private static final class Passwords implements LoginPassword {
        private final List<String> values;
        private final List<String> rejected = new ArrayList<>();
        private int at;

        Passwords(String... values) {
            this.values = List.of(values);
        }

        @Override
        public synchronized String current() {
            return values.get(at);
        }

        @Override
        public synchronized String renewAfterRejection(String rejectedPassword) {
            rejected.add(rejectedPassword);
            if (at + 1 >= values.size()) {
                throw new IllegalStateException("no other password");
            }
            return values.get(++at);
        }
    }

    private static String wrong() {
        return new PasswordGenerator().generate(32);
    }

    @Test
    void thePoolsSettingsReachItsConnections() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setPoolName("settings");
        config.addDataSourceProperty("ApplicationName", "pg-ephemeral settings test");
        config.addDataSourceProperty("prepareThreshold", "0");
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        try (HikariDataSource pool = LoginDataSource.startPool(config, env.jdbcUrl(), TestEnvironment.BOT,
                LoginPassword.fixed(env.botPassword(), "BROKER_DB_PASSWORD"));
             Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT current_user, current_setting('application_name')")) {
            r.next();
            assertEquals(TestEnvironment.BOT, r.getString(1));
            assertEquals("pg-ephemeral settings test", r.getString(2));
            assertEquals(0, c.unwrap(PGConnection.class).getPrepareThreshold());
            assertTrue(c.unwrap(BaseConnection.class).getQueryExecutor().isReWriteBatchedInsertsEnabled());
            // Hikari bounds each login by its connection timeout, in seconds, through the data source.
            assertEquals(pool.getConnectionTimeout() / 1000, config.getDataSource().getLoginTimeout());
        }
    }

    @Test
    void aRejectedPasswordIsRenewedOnceAndTheLoginRetried() throws Exception {
        String wrong = wrong();
        Passwords passwords = new Passwords(wrong, env.botPassword());
        LoginDataSource source = new LoginDataSource(env.jdbcUrl(), TestEnvironment.BOT, new Properties(), passwords);
        try (Connection c = source.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT current_user")) {
            r.next();
            assertEquals(TestEnvironment.BOT, r.getString(1));
        }
        assertEquals(List.of(wrong), passwords.rejected);
        // The renewed password is now the current one: no further renewal.
        source.getConnection().close();
        assertEquals(1, passwords.rejected.size());
    }

    @Test
    void aRenewedPasswordThatIsAlsoRejectedIsNotRenewedAgain() {
        String first = wrong();
        String second = wrong();
        Passwords passwords = new Passwords(first, second, env.botPassword());
        LoginDataSource source = new LoginDataSource(env.jdbcUrl(), TestEnvironment.BOT, new Properties(), passwords);
        SQLException e = assertThrows(SQLException.class, source::getConnection);
        assertEquals("28P01", e.getSQLState());
        assertEquals(List.of(first), passwords.rejected, "one renewal per login");
        assertOneLineWithout(e.getMessage(), first, second, env.botPassword());
        assertTrue(e.getMessage().contains("the renewed password was rejected too"), e.getMessage());
    }

    @Test
    void aFixedPasswordThatIsRejectedSaysWhichSettingToFix() {
        String wrong = wrong();
        LoginDataSource source = new LoginDataSource(env.jdbcUrl(), TestEnvironment.BOT, new Properties(),
                LoginPassword.fixed(wrong, "BROKER_DB_PASSWORD"));
        SQLException e = assertThrows(SQLException.class, source::getConnection);
        assertEquals("28P01", e.getSQLState());
        assertOneLineWithout(e.getMessage(), wrong, env.botPassword());
        assertTrue(e.getMessage().startsWith("PostgreSQL refused the login of ephemeral_bot: password authentication"
                + " failed for user \"ephemeral_bot\"; BROKER_DB_PASSWORD is fixed"), e.getMessage());
    }

    @Test
    void otherLoginFailuresAreNotMistakenForARotation() {
        Passwords passwords = new Passwords(env.botPassword(), env.botPassword());
        LoginDataSource source = new LoginDataSource(env.jdbcUrl().replaceAll("/[^/]*$", "/no_such_database"),
                TestEnvironment.BOT, new Properties(), passwords);
        SQLException e = assertThrows(SQLException.class, source::getConnection);
        assertEquals("3D000", e.getSQLState(), e.getMessage());
        assertEquals(List.of(), passwords.rejected);
    }

    /** Through the pool, as the broker meets it: Hikari's "not available" gives way to the reason. */
    @Test
    void theTargetDatabaseReportsTheRejectionNotThePoolsTimeout() {
        String wrong = wrong();
        try (TargetDatabase database = new TargetDatabase(env.jdbcUrl(), TestEnvironment.BOT, wrong, 1)) {
            SQLException e = assertThrows(SQLException.class, database::connect);
            assertEquals("28P01", e.getSQLState());
            assertOneLineWithout(e.getMessage(), wrong, env.botPassword());
            assertTrue(e.getMessage().contains("BROKER_DB_PASSWORD is fixed"), e.getMessage());
        }
    }

    @Test
    void aUrlThatCarriesAPasswordIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new LoginDataSource(
                env.jdbcUrl() + "?password=hunter2", TestEnvironment.BOT, new Properties(),
                LoginPassword.fixed(env.botPassword(), "BROKER_DB_PASSWORD")));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    private static void assertOneLineWithout(String message, String... passwords) {
        assertEquals(1, message.lines().count(), message);
        for (String password : passwords) {
            assertFalse(message.contains(password), "the message holds a password");
        }
    }
}
