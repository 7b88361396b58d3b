package io.pgephemeral.postgres;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.ManagedRole;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the catalog says about the broker's own roles: which roles are temporary logins of this
 * broker, and what they are members of. Reads only.
 */
final class ManagedRoleCatalog {

    /** The bot: the session's user, which stays the bot while a transaction runs as a creator role. */
    private static final String BOT = "(SELECT oid FROM pg_roles WHERE rolname = session_user)";

    /**
     * Who may administer the broker's logins ({@code a} a row of pg_auth_members): the bot, or a
     * creator role, that is a CREATEROLE role the bot may SET ROLE to. Not only the creators the
     * settings list: a login made by a creator since removed from BROKER_CREATOR_ROLES is still
     * removed, and the bot could become that role anyway.
     */
    private static final String ADMINISTERS = "a.admin_option AND (a.member = " + BOT + " OR a.member IN ("
            + "SELECT k.roleid FROM pg_auth_members k JOIN pg_roles kr ON kr.oid = k.roleid"
            + " WHERE k.member = " + BOT + " AND k.set_option AND kr.rolcreaterole))";

    /**
     * Whether role {@code r} is a temporary login of this broker: a member of the marker role (the
     * first parameter) without the admin option, and not the bot itself, whose own membership has
     * it. On 16+ the bot or one of its creator roles must also hold ADMIN OPTION on the role, which
     * they receive only for roles they created: a role someone else put in the marker is never
     * touched. (Before 16 there is no such grant, nor a {@code set_option} column to name.)
     */
    private static String managed(boolean sixteenPlus) {
        return "r.rolname <> session_user"
                + " AND EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                + " WHERE m.member = r.oid AND g.rolname = ? AND NOT m.admin_option"
                // 16+: the marker grant came from the role that administers the login (only the bot
                // and its creators can grant the marker), so a role planted in the marker by someone
                // else is not taken for ours because a role granted to the bot administers it.
                + (sixteenPlus ? " AND EXISTS (SELECT 1 FROM pg_auth_members a WHERE a.roleid = r.oid"
                + " AND a.member = m.grantor AND " + ADMINISTERS + ")" : "") + ")";
    }

    /**
     * The role that granted the login its marker and administers it, whether or not the bot may
     * still act as it: for saying why a login is not (or no longer) taken for the broker's.
     */
    private static final String GRANTING_ADMINISTRATOR = "SELECT u.rolname FROM pg_roles r"
            + " JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid"
            + " JOIN pg_auth_members a ON a.roleid = r.oid AND a.member = m.grantor AND a.admin_option"
            + " JOIN pg_roles u ON u.oid = a.member"
            + " WHERE r.rolname = ? AND g.rolname = ? AND NOT m.admin_option AND u.rolname <> session_user LIMIT 1";

    /** The creator role that administers {@code r}, or null when the bot does (always, before 16). */
    private static String manager(boolean sixteenPlus) {
        return sixteenPlus ? "(SELECT u.rolname FROM pg_auth_members a JOIN pg_roles u ON u.oid = a.member"
                + " WHERE a.roleid = r.oid AND " + ADMINISTERS + " AND a.member <> " + BOT + " ORDER BY u.rolname LIMIT 1)"
                : "NULL::name";
    }

    /**
     * One of the broker's logins.
     *
     * @param oid     the role's oid, to find its sessions
     * @param manager the creator role its DDL runs as, or null for the bot
     */
    record Managed(long oid, String manager) {
    }

    private final String markerRole;
    private volatile int serverVersion;

    ManagedRoleCatalog(String markerRole) {
        this.markerRole = markerRole;
    }

    /**
     * Of the named roles: those that exist, and of those the broker's own that hold nothing in
     * {@code pg_shdepend} (they own no objects and hold no privileges anywhere in the cluster).
     *
     * @param droppable name to the login, in the order the server returned them
     */
    record Lookup(Set<String> existing, Map<String, Managed> droppable) {
    }

    Lookup lookUp(Connection c, List<String> names) throws SQLException {
        Map<String, Managed> droppable = new LinkedHashMap<>();
        Set<String> existing = new HashSet<>();
        boolean sixteenPlus = sixteenPlus(c);
        try (PreparedStatement p = c.prepareStatement("SELECT r.rolname, r.oid, " + managed(sixteenPlus)
                + ", EXISTS (SELECT 1 FROM pg_shdepend d WHERE d.refclassid = 'pg_catalog.pg_authid'::regclass"
                + " AND d.refobjid = r.oid), " + manager(sixteenPlus) + " FROM pg_roles r WHERE r.rolname = ANY (?)")) {
            p.setString(1, markerRole);
            p.setArray(2, c.createArrayOf("text", names.toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    existing.add(r.getString(1));
                    if (r.getBoolean(3) && !r.getBoolean(4)) {
                        droppable.put(r.getString(1), new Managed(r.getLong(2), r.getString(5)));
                    }
                }
            }
        }
        return new Lookup(existing, droppable);
    }

    /** Every temporary login of this broker, by name, with the creator role that administers it. */
    List<ManagedRole> list(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT r.rolname, r.rolvaliduntil, r.rolcanlogin, " + manager(sixteenPlus(c))
                        + " FROM pg_roles r WHERE " + managed(sixteenPlus(c)) + " ORDER BY r.rolname")) {
            p.setString(1, markerRole);
            List<ManagedRole> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Timestamp until = r.getTimestamp(2);
                    // Its creator role is the removal batch: one SET ROLE removes all of a creator's logins.
                    out.add(new ManagedRole(r.getString(1), until == null ? null : until.toInstant(), r.getBoolean(3),
                            r.getString(4)));
                }
            }
            return out;
        }
    }

    /** Whether a role of that name exists, from pg_authid alone. */
    static boolean exists(Connection c, String roleName) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            p.setString(1, roleName);
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }

    /** The login if it exists and is one of ours (see {@link #managed}); null if absent; refusal if not. */
    Managed managed(Connection c, String roleName) throws SQLException {
        // Whether it exists, first, from pg_authid alone: undoing an escalation whose role was never
        // created must not wait on pg_auth_members, which may be the very lock that failed it.
        if (!exists(c, roleName)) {
            return null;
        }
        try (PreparedStatement p = c.prepareStatement(
                "SELECT r.oid, " + managed(sixteenPlus(c)) + ", " + manager(sixteenPlus(c))
                        + " FROM pg_roles r WHERE r.rolname = ?")) {
            p.setString(1, markerRole);
            p.setString(2, roleName);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                if (!r.getBoolean(2)) {
                    String administrator = sixteenPlus(c) ? first(c, GRANTING_ADMINISTRATOR, roleName, markerRole) : null;
                    if (administrator != null) {
                        throw new BrokerException("refusing to remove role " + roleName + ": it is administered by "
                                + administrator + ", which is no longer a CREATEROLE role the bot may SET ROLE to (a creator"
                                + " role that lost CREATEROLE or the bot's grant); restore that, or end its sessions and"
                                + " drop it as an administrator");
                    }
                    throw new BrokerException("refusing to remove role " + roleName + ": it is not a member of "
                            + markerRole + ", so pg-ephemeral did not create it");
                }
                return new Managed(r.getLong(1), r.getString(3));
            }
        }
    }

    /** The roles granted to {@code roleName}, but the marker. */
    List<String> memberships(Connection c, String roleName) throws SQLException {
        return names(c, "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                + " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = ? AND g.rolname <> ?", roleName, markerRole);
    }

    /** The roles {@code roleName} is granted to, but the bot and the creator role that made it. */
    List<String> members(Connection c, String roleName, String manager) throws SQLException {
        return names(c, "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                + " JOIN pg_roles r ON r.oid = m.member WHERE g.rolname = ? AND r.rolname <> session_user"
                + " AND r.rolname IS DISTINCT FROM ?", roleName, manager);
    }

    private static String first(Connection c, String sql, String... parameters) throws SQLException {
        List<String> found = names(c, sql, parameters);
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<String> names(Connection c, String sql, String... parameters) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                p.setString(i + 1, parameters[i]);
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
        }
        return out;
    }

    /** Whether the server is PostgreSQL 16 or later, where role administration changed; asked once. */
    boolean sixteenPlus(Connection c) throws SQLException {
        return serverMajor(c) >= 16;
    }

    int serverMajor(Connection c) throws SQLException {
        if (serverVersion == 0) {
            serverVersion = c.getMetaData().getDatabaseMajorVersion();
        }
        return serverVersion;
    }
}
