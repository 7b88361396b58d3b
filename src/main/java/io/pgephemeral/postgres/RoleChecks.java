package io.pgephemeral.postgres;

import io.pgephemeral.broker.Target;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether a role may be handed to a temporary login, directly (a target) or as a side effect (the
 * marker every login is a member of; the role that receives a login's objects at deescalate).
 *
 * <p>Membership passes privileges on, so each role is judged with everything it reaches through
 * {@code pg_auth_members}, however indirectly and whatever the grant's INHERIT or SET options (an
 * option can be changed later; the closure cannot be bypassed). A target is refused if anything in
 * that closure is a superuser or has CREATEROLE, REPLICATION or BYPASSRLS (never grantable), or is
 * a predefined role ({@code pg_*}) the operator did not accept by name. All predefined roles count:
 * each grants some power beyond object privileges (reading every table or pg_authid, the server's
 * files or programs, signalling other sessions, seeing their statements, checkpoints, reserved
 * connections, subscriptions that connect out, maintenance), and one a later major adds is refused
 * until someone decides otherwise. {@code pg_database_owner} is the exception: it cannot be granted.
 *
 * <p>The marker and reassign roles are held to more: they must exist, be NOLOGIN, and neither they
 * nor anything they reach may have any role attribute (CREATEDB included) or predefined role.
 */
final class RoleChecks {

    /** What {@link #GUARD}'s error starts its subject with, so that it is told from other failures. */
    static final String REFUSAL = "pg-ephemeral refused ";

    /** What is checked, and how strictly. */
    enum Kind { TARGET, MARKER, REASSIGN }

    /**
     * One role to check.
     *
     * @param key     what the caller calls it: a target's name, or the setting that names the role
     * @param role    the role
     * @param allowed predefined roles accepted for it (targets only)
     */
    record Subject(Kind kind, String key, String role, Set<String> allowed) {

        static Subject target(Target target, String role) {
            return new Subject(Kind.TARGET, target.name(), role, target.allowed());
        }

        static Subject marker(String role) {
            return new Subject(Kind.MARKER, "BROKER_MARKER_ROLE", role, Set.of());
        }

        static Subject reassign(String role) {
            return new Subject(Kind.REASSIGN, "BROKER_REASSIGN_OWNED_TO", role, Set.of());
        }

        private String label() {
            return kind + ":" + key + ":" + role;
        }
    }

    /**
     * One statement for any number of subjects; its three parameters are set by {@link #bind}. Each
     * row is a role a subject reaches (the subject itself included), or, with a null role name, a
     * subject that does not exist. Its last column decides whether the row is a problem; Java only
     * words it ({@link #problem}), so {@link #GUARD} and the check cannot disagree.
     */
    static final String SQL = """
            WITH RECURSIVE subject(label, role, allow) AS (
                SELECT * FROM unnest(?::text[], ?::text[], ?::text[])),
            reach(label, oid) AS (
                SELECT s.label, r.oid FROM subject s JOIN pg_roles r ON r.rolname = s.role
              UNION
                SELECT reach.label, m.roleid FROM reach JOIN pg_auth_members m ON m.member = reach.oid),
            accepted(label, oid) AS (
                SELECT s.label, r.oid FROM subject s JOIN pg_roles r ON r.rolname = ANY (string_to_array(s.allow, ' '))
              UNION
                SELECT a.label, m.roleid FROM accepted a JOIN pg_auth_members m ON m.member = a.oid),
            checked(label, rolname, itself, canlogin, super, createrole, replication, bypassrls, createdb,
                    predefined, strict) AS (
                SELECT s.label, r.rolname, r.rolname = s.role, r.rolcanlogin, r.rolsuper, r.rolcreaterole,
                       r.rolreplication, r.rolbypassrls, r.rolcreatedb,
                       r.rolname LIKE 'pg\\_%' AND r.rolname <> 'pg_database_owner'
                       AND NOT EXISTS (SELECT 1 FROM accepted a WHERE a.label = s.label AND a.oid = r.oid),
                       split_part(s.label, ':', 1) <> 'TARGET'
                FROM subject s LEFT JOIN reach ON reach.label = s.label LEFT JOIN pg_roles r ON r.oid = reach.oid)
            SELECT label, rolname, itself, canlogin, super, createrole, replication, bypassrls, createdb, predefined,
                   rolname IS NULL OR super OR createrole OR replication OR bypassrls OR predefined
                   OR strict AND (createdb OR itself AND canlogin)
            FROM checked
            ORDER BY label, itself DESC, rolname""";

    /**
     * {@link #SQL} as a statement that fails (SQLSTATE 22P02, naming the subject) when any row is a
     * problem, and returns nothing otherwise: placed before the role DDL in one batch with its
     * {@code COMMIT}, it makes the server stop short of the commit, so the check still decides
     * inside the transaction without a round trip for Java to read it.
     */
    static final String GUARD = "SELECT 1 FROM (" + SQL + ") checked(label, rolname, itself, canlogin, super,"
            + " createrole, replication, bypassrls, createdb, predefined, problem)"
            // CASE, not AND: PostgreSQL may evaluate the operands of AND in any order.
            + " WHERE CASE WHEN problem THEN ('" + REFUSAL + "' || label)::int IS NULL ELSE false END";

    private final List<Subject> subjects;

    RoleChecks(List<Subject> subjects) {
        this.subjects = List.copyOf(subjects);
    }

    /** Sets {@link #SQL}'s parameters, the first at {@code first}. */
    void bind(PreparedStatement p, int first) throws SQLException {
        Connection c = p.getConnection();
        p.setArray(first, c.createArrayOf("text", subjects.stream().map(Subject::label).toArray()));
        p.setArray(first + 1, c.createArrayOf("text", subjects.stream().map(Subject::role).toArray()));
        p.setArray(first + 2, c.createArrayOf("text",
                subjects.stream().map(s -> String.join(" ", s.allowed())).toArray()));
    }

    /** Runs the check on its own. */
    Map<Subject, String> run(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(SQL)) {
            bind(p, 1);
            try (ResultSet r = p.executeQuery()) {
                return read(r);
            }
        }
    }

    /** Each subject with a problem, and the first problem found, as one sentence. */
    Map<Subject, String> read(ResultSet r) throws SQLException {
        Map<String, Subject> byLabel = new LinkedHashMap<>();
        subjects.forEach(s -> byLabel.put(s.label(), s));
        Map<Subject, String> problems = new LinkedHashMap<>();
        while (r.next()) {
            Subject s = byLabel.get(r.getString(1));
            if (s == null || problems.containsKey(s)) {
                continue;
            }
            String problem = problem(s, r);
            if (problem != null) {
                problems.put(s, problem);
            }
        }
        return problems;
    }

    private static String problem(Subject s, ResultSet r) throws SQLException {
        if (!r.getBoolean(11)) {
            return null; // the statement decides (see SQL); what follows only words it
        }
        String reached = r.getString(2);
        if (reached == null) {
            return switch (s.kind()) {
                case TARGET -> "target '" + s.key() + "' is refused: target role " + s.role()
                        + " does not exist in the database";
                case MARKER -> s.key() + ": role " + s.role() + " does not exist; create it NOLOGIN"
                        + " (schema/setup/bot-setup-*.sql)";
                case REASSIGN -> s.key() + ": role " + s.role() + " does not exist; create it NOLOGIN and"
                        + " GRANT it to the bot, or unset " + s.key();
            };
        }
        boolean itself = r.getBoolean(3);
        List<String> attributes = new ArrayList<>();
        boolean strict = s.kind() != Kind.TARGET;
        if (strict && itself && r.getBoolean(4)) {
            attributes.add("LOGIN");
        }
        if (r.getBoolean(5)) {
            attributes.add("SUPERUSER");
        }
        if (r.getBoolean(6)) {
            attributes.add("CREATEROLE");
        }
        if (r.getBoolean(7)) {
            attributes.add("REPLICATION");
        }
        if (r.getBoolean(8)) {
            attributes.add("BYPASSRLS");
        }
        if (strict && r.getBoolean(9)) {
            attributes.add("CREATEDB");
        }
        boolean predefined = r.getBoolean(10);
        String what = "role " + s.role() + (predefined ? " is a member of " + reached
                : itself ? " has " + String.join(", ", attributes)
                : " is a member of " + reached + ", which has " + String.join(", ", attributes));
        return switch (s.kind()) {
            case TARGET -> "target '" + s.key() + "' is refused: " + what + (predefined
                    ? ", which every login of the target would inherit; if that is intended, add :allow=" + reached
                    + " to the target's entry in BROKER_TARGETS"
                    : "; pg-ephemeral never grants such a role (BROKER_TARGETS)");
            case MARKER -> s.key() + ": " + what + "; every temporary login is a member of the marker role,"
                    + " which must be NOLOGIN and hold no privileges";
            case REASSIGN -> s.key() + ": " + what + "; objects temporary logins leave behind would be handed"
                    + " to it, so it must be NOLOGIN and hold no privileges";
        };
    }
}
