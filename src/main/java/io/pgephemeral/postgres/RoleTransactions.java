package io.pgephemeral.postgres;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.Deadline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Runs role DDL: one transaction at a time, bounded by the lock timeout (or less, when the
 * invocation has less time left), retried when concurrent role DDL failed it in a way a second try
 * fixes, and explained when a lock wait timed out.
 */
final class RoleTransactions {

    private static final Logger LOG = LoggerFactory.getLogger(RoleTransactions.class);
    private static final String LOCK_NOT_AVAILABLE = "55P03";
    private static final int MAX_ATTEMPTS = 5;

    private final RoleAdminSettings settings;

    RoleTransactions(RoleAdminSettings settings) {
        this.settings = settings;
    }

    interface Work {
        void run(Statement s) throws SQLException;
    }

    interface Batch {
        void run() throws SQLException;
    }

    /** The lock timeout for the next transaction: the configured one, or the time left if less. */
    String lockTimeout() {
        return RoleStatements.lockTimeout(Deadline.current().bound(settings.lockTimeout()));
    }

    /** The advisory lock that serialises role DDL. */
    String lock() {
        return RoleStatements.advisoryLock(settings.lockKey());
    }

    /**
     * Runs role DDL in one transaction under the advisory lock, taken first, as {@code manager}, the
     * creator role of the roles it changes (null: the bot). For DDL that reads between statements;
     * {@link #underLock(Connection, String, List)} sends statements that need no reading at once.
     */
    void underLock(Connection c, String manager, Work work) throws SQLException {
        withRetries(c, () -> {
            try (Statement s = c.createStatement()) {
                s.execute(prelude(manager));
                work.run(s);
            }
        });
    }

    /**
     * Runs {@code statements}, which need nothing read in between, in one transaction under the
     * advisory lock as {@code manager} (null: the bot): sent with the lock in one round trip, then
     * the commit. PostgreSQL runs them in order and stops at the first that fails.
     */
    void underLock(Connection c, String manager, List<String> statements) throws SQLException {
        withRetries(c, () -> {
            try (Statement s = c.createStatement()) {
                s.execute(prelude(manager) + "; " + String.join("; ", statements));
            }
        });
    }

    /** What every transaction of role DDL starts with: its lock timeout, the lock, the switch to {@code manager}. */
    private String prelude(String manager) {
        return lockTimeout() + "; " + lock() + (manager == null ? "" : "; " + RoleStatements.setRole(manager));
    }

    /**
     * Runs {@code work} as one transaction and commits it. Concurrent role DDL can still fail in
     * ways that succeed on a second try (serialization failures, deadlocks, "tuple concurrently
     * updated", a unique violation on pg_authid): those are retried with jittered backoff.
     */
    void withRetries(Connection c, Batch work) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            long lockWaitMs = Deadline.current().bound(settings.lockTimeout()).toMillis();
            c.setAutoCommit(false);
            try {
                work.run();
                c.commit();
                return;
            } catch (SQLException e) {
                rollbackQuietly(c);
                if (LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                    throw lockTimedOut(c, lockWaitMs);
                }
                if (!retryable(e) || attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                LOG.info("role DDL hit {} (attempt {} of {}); retrying", e.getSQLState(), attempt, MAX_ATTEMPTS);
                backOff(attempt);
            } catch (RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            } finally {
                restoreAutoCommit(c);
            }
        }
    }

    /**
     * The error for a lock wait that timed out (55P03). PostgreSQL does not say which lock it was,
     * and it may be a catalog's (a VACUUM FULL or LOCK of pg_authid or pg_auth_members blocks all
     * role DDL) as well as the broker's advisory lock: look at who holds which now, and name it.
     */
    private BrokerException lockTimedOut(Connection c, long waitedMs) {
        String held = null;
        try (PreparedStatement p = c.prepareStatement("SELECT CASE WHEN l.locktype = 'advisory'"
                + " THEN 'the role-administration lock (pg_advisory_xact_lock(' || ? || '))'"
                + " ELSE 'a lock on ' || l.relation::regclass::text END, l.pid FROM pg_locks l"
                + " WHERE l.granted AND l.pid <> pg_backend_pid() AND ((l.locktype = 'advisory' AND l.objsubid = 1"
                + " AND l.classid::bigint = (?::bigint >> 32) AND l.objid::bigint = (?::bigint & 4294967295))"
                + " OR (l.locktype = 'relation' AND l.relation IN ('pg_catalog.pg_authid'::regclass,"
                + " 'pg_catalog.pg_auth_members'::regclass, 'pg_catalog.pg_shdepend'::regclass)"
                + " AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')))"
                + " ORDER BY l.locktype = 'advisory' LIMIT 1")) {
            p.setLong(1, settings.lockKey());
            p.setLong(2, settings.lockKey());
            p.setLong(3, settings.lockKey());
            p.setQueryTimeout(2);
            try (ResultSet r = p.executeQuery()) {
                if (r.next()) {
                    held = r.getString(1) + ", held by backend " + r.getInt(2);
                }
            }
        } catch (SQLException ignored) {
            // no better explanation than the plain one below
        }
        String what = held != null ? held : "a lock on a role or a system catalog";
        return new BrokerException("timed out after " + waitedMs + " ms waiting for " + what
                + (held == null || held.startsWith("the role") ? " (another escalation, sweep or tool)" : "")
                + "; nothing was changed");
    }

    private static boolean retryable(SQLException e) {
        String state = e.getSQLState();
        return "40001".equals(state) || "40P01".equals(state) || "23505".equals(state)
                || ("XX000".equals(state) && String.valueOf(e.getMessage()).contains("tuple concurrently updated"));
    }

    private static void backOff(int attempt) {
        long base = 10L << Math.min(attempt, 6);
        try {
            Thread.sleep(base + java.util.concurrent.ThreadLocalRandom.current().nextLong(base));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while retrying role DDL");
        }
    }

    private static void restoreAutoCommit(Connection c) {
        try {
            if (!c.isClosed()) {
                c.setAutoCommit(true);
            }
        } catch (SQLException ignored) {
            // a broken connection: the pool replaces it
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // The connection is broken; the pool discards it and the server rolled back anyway.
        }
    }
}
