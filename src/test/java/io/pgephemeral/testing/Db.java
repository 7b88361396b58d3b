package io.pgephemeral.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the database really holds, read as a superuser: the tests' source of truth. */
public final class Db {

    private Db() {
    }

    public static List<Map<String, Object>> query(String sql, Object... args) {
        try (Connection c = TestEnvironment.get().admin(); PreparedStatement p = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                p.setObject(i + 1, args[i]);
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                        row.put(r.getMetaData().getColumnLabel(i), r.getObject(i));
                    }
                    rows.add(row);
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Object value(String sql, Object... args) {
        List<Map<String, Object>> rows = query(sql, args);
        return rows.isEmpty() ? null : rows.get(0).values().iterator().next();
    }

    /** Runs SQL as the bot, the way the broker would. */
    public static void asBot(String sql) {
        TestEnvironment env = TestEnvironment.get();
        try (Connection c = env.login(TestEnvironment.BOT, env.botPassword()); var s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void execute(String sql) {
        try (Connection c = TestEnvironment.get().admin(); var s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean roleExists(String role) {
        return value("SELECT count(*) FROM pg_roles WHERE rolname = ?", role).equals(1L);
    }

    /**
     * Every temporary login: a member of the marker role without the admin option (the bot has
     * it), and on 16+ one the bot or one of its creator roles administers (it created it).
     */
    public static List<String> managedRoles() {
        return query("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                + " JOIN pg_roles r ON r.oid = m.member WHERE g.rolname = 'ephemeral_managed'"
                + " AND NOT m.admin_option AND r.rolname <> 'ephemeral_bot'"
                + " AND (current_setting('server_version_num')::int < 160000 OR EXISTS (SELECT 1 FROM pg_auth_members a"
                + " WHERE a.roleid = r.oid AND a.admin_option AND a.member IN (SELECT oid FROM pg_roles"
                + " WHERE rolname = 'ephemeral_bot' OR rolname LIKE 'ephemeral\\_creator\\_%'))) ORDER BY 1")
                .stream().map(row -> (String) row.get("rolname")).toList();
    }

    /** The roles {@code role} is a member of. */
    public static List<String> memberships(String role) {
        return query("SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                + " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = ? ORDER BY 1", role)
                .stream().map(row -> (String) row.get("rolname")).toList();
    }

    public static List<Map<String, Object>> ledger(String runId) {
        return query("SELECT * FROM ephemeral.ledger_event WHERE run_id = ? ORDER BY seq", runId);
    }

    public static List<String> ledgerEvents(String runId) {
        return ledger(runId).stream().map(r -> (String) r.get("event")).toList();
    }

    public static long ledgerSize() {
        return (Long) value("SELECT count(*) FROM ephemeral.ledger_event");
    }
}
