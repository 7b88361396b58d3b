package io.pgephemeral.postgres;

import io.pgephemeral.database.Pools;
import io.pgephemeral.database.LoginPassword;
import io.pgephemeral.database.LoginDataSource;
import io.pgephemeral.database.BoundedConnections;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.sql.SQLTransientConnectionException;

/**
 * The bot's connections to the target database, where temporary roles live. A Lambda instance
 * serves one invocation at a time, so the pool is tiny; it exists to keep one warm connection
 * between invocations.
 *
 * <p>Deliberately not a {@code javax.sql.DataSource} bean: role DDL manages its own transactions,
 * and every connection goes through {@link #connect}, bounded by the invocation's deadline.
 */
public final class TargetDatabase implements AutoCloseable, io.pgephemeral.database.SnapshotConnections {

    private final HikariDataSource pool;

    public TargetDatabase(String jdbcUrl, String user, String password, int maxConnections) {
        this(jdbcUrl, user, LoginPassword.fixed(password, "BROKER_DB_PASSWORD"), maxConnections);
    }

    /** With a password that can be renewed after PostgreSQL rejected it (see {@link LoginDataSource}). */
    public TargetDatabase(String jdbcUrl, String user, LoginPassword password, int maxConnections) {
        // The broker never sends client-side prepared statements worth caching; keep the server clean.
        this.pool = Pools.start("target", "pg-ephemeral", maxConnections, Map.of("prepareThreshold", "0"),
                jdbcUrl, user, password);
    }

    /** A connection bounded by the invocation's deadline (see {@link BoundedConnections}). */
    public Connection connect() throws SQLException {
        try {
            return BoundedConnections.open(pool);
        } catch (SQLTransientConnectionException e) {
            // Hikari reports logins that kept failing as "Connection is not available"; when the
            // password was the reason, the failure itself says what to fix.
            if (e.getCause() instanceof LoginDataSource.PasswordRejected rejected) {
                throw new LoginDataSource.PasswordRejected(rejected.getMessage(), e);
            }
            throw e;
        }
    }

    /** The pool's counters (open, idle, waiting connections). */
    public com.zaxxer.hikari.HikariPoolMXBean poolStatus() {
        return pool.getHikariPoolMXBean();
    }

    @Override
    public String poolName() {
        return "target";
    }

    /** See {@link Pools#closeIdle}. */
    @Override
    public boolean closeIdleConnections() {
        return Pools.closeIdle(pool);
    }

    @Override
    public void close() {
        pool.close();
    }
}
