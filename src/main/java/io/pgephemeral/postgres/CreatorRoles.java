package io.pgephemeral.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The creator roles (BROKER_CREATOR_ROLES): on 16+ every role DDL walks the ADMIN memberships of the
 * role that runs it, one per live login it created, so the bot spreads its logins over several
 * NOLOGIN CREATEROLE roles and runs each login's DDL as the one that made it. Which creator makes a
 * login follows from its name; who removes it follows from the catalog ({@link ManagedRoleCatalog}).
 *
 * <p>The bot may SET ROLE to a creator, so a creator is held to being a role maker and nothing else.
 */
final class CreatorRoles {

    private static final String SETTING = "BROKER_CREATOR_ROLES";
    private static final String SETUP = "schema/setup/bot-setup-pg16.sql";

    /**
     * One row per name, in order; the marker is the first parameter, the names the second. What a
     * creator may hold is what the bot holds already: ADMIN on the marker, on roles the bot holds
     * WITH ADMIN itself (the targets), and on the broker's own logins (members of the marker);
     * nothing it can use (INHERIT or SET), no object or privilege anywhere ({@code pg_shdepend}:
     * ownership, grants, default privileges; not the rows 16+ keeps for the memberships it granted,
     * one per login it made), and the bot must not inherit from it.
     */
    private static final String CHECK = """
            WITH bot AS (SELECT oid FROM pg_roles WHERE rolname = session_user),
            marker AS (SELECT oid FROM pg_roles WHERE rolname = ?)
            SELECT n.name, c.oid IS NOT NULL, c.rolcanlogin, c.rolcreaterole,
                   concat_ws(', ', CASE WHEN c.rolsuper THEN 'SUPERUSER' END,
                       CASE WHEN c.rolreplication THEN 'REPLICATION' END,
                       CASE WHEN c.rolbypassrls THEN 'BYPASSRLS' END,
                       CASE WHEN c.rolcreatedb THEN 'CREATEDB' END),
                   (SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                     WHERE m.member = c.oid AND (m.inherit_option OR m.set_option) ORDER BY 1 LIMIT 1),
                   (SELECT u.rolname FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member
                     WHERE m.roleid = c.oid AND m.member <> (SELECT oid FROM bot) ORDER BY 1 LIMIT 1),
                   EXISTS (SELECT 1 FROM pg_auth_members m
                     WHERE m.member = c.oid AND m.roleid = (SELECT oid FROM marker) AND m.admin_option),
                   EXISTS (SELECT 1 FROM pg_auth_members m
                     WHERE m.roleid = c.oid AND m.member = (SELECT oid FROM bot) AND m.set_option),
                   (SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                     WHERE m.member = c.oid AND m.admin_option AND m.roleid <> (SELECT oid FROM marker)
                       AND NOT EXISTS (SELECT 1 FROM pg_auth_members b WHERE b.member = (SELECT oid FROM bot)
                                       AND b.roleid = m.roleid AND b.admin_option)
                       AND NOT EXISTS (SELECT 1 FROM pg_auth_members k WHERE k.member = m.roleid
                                       AND k.roleid = (SELECT oid FROM marker) AND NOT k.admin_option)
                     ORDER BY 1 LIMIT 1),
                   EXISTS (SELECT 1 FROM pg_shdepend d
                     WHERE d.refclassid = 'pg_catalog.pg_authid'::regclass AND d.refobjid = c.oid
                       AND d.classid <> 'pg_catalog.pg_auth_members'::regclass),
                   EXISTS (SELECT 1 FROM pg_auth_members m
                     WHERE m.roleid = c.oid AND m.member = (SELECT oid FROM bot) AND m.inherit_option)
            FROM unnest(?::text[]) WITH ORDINALITY AS n(name, i) LEFT JOIN pg_roles c ON c.rolname = n.name
            ORDER BY n.i""";

    private final List<String> names;

    CreatorRoles(List<String> names) {
        this.names = List.copyOf(names);
    }

    boolean none() {
        return names.isEmpty();
    }

    /**
     * The creator that makes the login of that name, or null if there are none. A hash of the name
     * rather than a count of each creator's logins: nothing to look up, and random name suffixes
     * spread the logins evenly; a skewed spread costs time, never safety.
     */
    String pick(String login) {
        if (names.isEmpty()) {
            return null;
        }
        int h = login.hashCode();
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return names.get(Math.floorMod(h, names.size()));
    }

    /** The error for a server before 16, where the setting has no purpose and SET ROLE semantics differ. */
    String beforeSixteen(int major) {
        return SETTING + " needs PostgreSQL 16 or later (this server is " + major
                + ", where role DDL does not slow with the number of roles); unset it";
    }

    /** Each creator with a problem, and the problem as one sentence; empty when all are sound. */
    Map<String, String> problems(Connection c, String markerRole) throws SQLException {
        Map<String, String> problems = new LinkedHashMap<>();
        try (PreparedStatement p = c.prepareStatement(CHECK)) {
            p.setString(1, markerRole);
            p.setArray(2, c.createArrayOf("text", names.toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    String problem = problem(r, markerRole);
                    if (problem != null) {
                        problems.put(r.getString(1), SETTING + ": role " + r.getString(1) + " " + problem);
                    }
                }
            }
        }
        return problems;
    }

    private static String problem(ResultSet r, String markerRole) throws SQLException {
        if (!r.getBoolean(2)) {
            return "does not exist; create it as " + SETUP + " does, or remove it from " + SETTING;
        }
        List<String> wrong = new ArrayList<>();
        if (r.getBoolean(3)) {
            wrong.add("can LOGIN");
        }
        if (!r.getBoolean(4)) {
            wrong.add("lacks CREATEROLE");
        }
        if (!r.getString(5).isEmpty()) {
            wrong.add("has " + r.getString(5));
        }
        if (r.getString(6) != null) {
            wrong.add("can use role " + r.getString(6) + " (granted WITH INHERIT or SET TRUE)");
        }
        if (r.getString(7) != null) {
            wrong.add("is also granted to " + r.getString(7));
        }
        if (!r.getBoolean(8)) {
            wrong.add("cannot grant the marker role " + markerRole + " (it needs it WITH ADMIN TRUE)");
        }
        if (!r.getBoolean(9)) {
            wrong.add("is not granted to the bot WITH SET TRUE, so the bot cannot SET ROLE to it");
        }
        if (r.getString(10) != null) {
            wrong.add("holds role " + r.getString(10) + " WITH ADMIN, which the bot itself does not");
        }
        if (r.getBoolean(11)) {
            wrong.add("owns objects or holds privileges (pg_shdepend)");
        }
        if (r.getBoolean(12)) {
            wrong.add("is granted to the bot WITH INHERIT TRUE, so the bot inherits it");
        }
        if (wrong.isEmpty()) {
            return null;
        }
        return String.join(" and ", wrong) + "; the bot may become a creator role, so it must be NOLOGIN with"
                + " CREATEROLE and hold nothing the bot does not, granted to the bot alone WITH INHERIT FALSE"
                + " (see " + SETUP + ")";
    }
}
