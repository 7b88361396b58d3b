package io.pgephemeral.database;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import io.pgephemeral.broker.Deadline;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * Connections whose every wait ends by the invocation's deadline ({@link Deadline#current()}):
 * the wait for a pooled connection, each statement on the server ({@code statement_timeout}, which
 * includes lock waits), and each socket read ({@code setNetworkTimeout}), so that a half-open
 * socket after a failover or a server that stopped answering cannot hang an invocation.
 */
public final class BoundedConnections {

    /** HikariCP refuses to wait less than this for a connection. */
    private static final long MIN_POOL_WAIT_MS = 250;
    private static final Duration MAX_POOL_WAIT = Duration.ofSeconds(10);
    /**
     * The socket gets a little longer than the server's statement_timeout: a live server's own
     * cancellation, with its clear error, comes first; the socket's only ends a dead connection.
     */
    private static final int SOCKET_SLACK_MS = 1_000;
    /**
     * How much longer than the time left a session's statement_timeout may be and still be kept:
     * half the socket's slack, so that a live server's own cancellation still comes first.
     */
    private static final long LOOSER_BY_AT_MOST_MS = SOCKET_SLACK_MS / 2;
    /** Each server session, and the statement_timeout (ms) it was given last. */
    private static final java.util.Map<Object, Long> BOUNDED = new java.util.WeakHashMap<>();

    private BoundedConnections() {
    }

    /** A connection from {@code pool}, bounded by the current deadline for as long as it is held. */
    public static Connection open(HikariDataSource pool) throws SQLException {
        Deadline deadline = Deadline.current();
        deadline.check("waiting for a connection to PostgreSQL");
        long wait = Math.max(MIN_POOL_WAIT_MS, deadline.bound(MAX_POOL_WAIT).toMillis());
        Connection c = pool.getHikariPoolMXBean() instanceof HikariPool started
                ? started.getConnection(wait) : pool.getConnection();
        try {
            // Deadline.bound gives at least 1 ms: a statement_timeout of 0 would switch the bound off.
            int left = (int) Math.min(Integer.MAX_VALUE - SOCKET_SLACK_MS, deadline.bound(Duration.ofDays(1)).toMillis());
            c.setNetworkTimeout(Runnable::run, left + SOCKET_SLACK_MS);
            // The server's own bound costs a round trip, so a session keeps the one it has while
            // that still fits the time left: no later than the deadline plus half the socket's
            // slack, and no tighter than half the time left (a bound set for an invocation with
            // little time left would fail a later one's statements early). Lambda invocations
            // mostly start with the same time left, so a warm session is rarely set again; a
            // checkout late in a long invocation is.
            Object session = c.unwrap(org.postgresql.PGConnection.class);
            synchronized (BOUNDED) {
                Long given = BOUNDED.get(session);
                if (given != null && given <= left + LOOSER_BY_AT_MOST_MS && given >= left / 2) {
                    return c;
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("SET statement_timeout = " + left);
            }
            synchronized (BOUNDED) {
                BOUNDED.put(session, (long) left);
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The pool as a {@link DataSource} whose connections are bounded as {@link #open} bounds them. */
    public static DataSource of(HikariDataSource pool) {
        return new Bounded(pool);
    }

    private record Bounded(HikariDataSource pool) implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            return open(pool);
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            throw new SQLFeatureNotSupportedException("the broker's pools connect as their configured user only");
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return pool.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            pool.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            pool.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return pool.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return pool.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return iface.isInstance(pool) ? iface.cast(pool) : pool.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return iface.isInstance(pool) || pool.isWrapperFor(iface);
        }
    }
}
