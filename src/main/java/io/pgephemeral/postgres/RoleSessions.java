package io.pgephemeral.postgres;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.Deadline;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Ends the sessions of temporary roles. Matching backends on the login's oid also catches sessions
 * that switched to the target role with SET ROLE.
 */
final class RoleSessions {

    /** How long deescalate waits for terminated sessions to exit. */
    private static final long TERMINATE_WAIT_MS = 5_000;

    private RoleSessions() {
    }

    /** Ends every backend logged in as the role; how many there were. */
    static int terminate(Connection c, long oid) throws SQLException {
        return terminate(c, List.of(oid)).getOrDefault(oid, 0);
    }

    /** Ends the backends of all the roles in one statement; the count per role oid. */
    static Map<Long, Integer> terminate(Connection c, Collection<Long> oids) throws SQLException {
        Map<Long, Integer> terminated = new HashMap<>();
        Array roles = c.createArrayOf("oid", oids.toArray());
        try (PreparedStatement p = c.prepareStatement(
                "SELECT usesysid, count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE usesysid = ANY (?) AND pid <> pg_backend_pid() GROUP BY usesysid")) {
            p.setArray(1, roles);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    terminated.put(r.getLong(1), r.getInt(2));
                }
            }
        }
        if (!terminated.isEmpty()) {
            awaitGone(c, roles);
        }
        return terminated;
    }

    /** pg_terminate_backend only signals; wait until the backends have really exited. */
    private static void awaitGone(Connection c, Array oids) throws SQLException {
        long deadline = System.nanoTime() + Deadline.current().bound(Duration.ofMillis(TERMINATE_WAIT_MS)).toNanos();
        try (PreparedStatement p = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE usesysid = ANY (?) AND pid <> pg_backend_pid()")) {
            p.setArray(1, oids);
            while (true) {
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    if (r.getInt(1) == 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new BrokerException("sessions of a temporary role did not exit within "
                            + TERMINATE_WAIT_MS + " ms of being terminated");
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BrokerException("interrupted while waiting for sessions to exit");
                }
            }
        }
    }
}
