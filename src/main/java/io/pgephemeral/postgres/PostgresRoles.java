package io.pgephemeral.postgres;

import io.pgephemeral.database.DatabaseTls;
import io.pgephemeral.database.Sql;
import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.DatabaseRoles;
import io.pgephemeral.broker.Deadline;
import io.pgephemeral.broker.ManagedRole;
import io.pgephemeral.broker.NewLogin;
import io.pgephemeral.broker.RoleNameTaken;
import io.pgephemeral.broker.RoleRemoval;
import io.pgephemeral.broker.RoleRemoval.Outcome;
import io.pgephemeral.broker.Target;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Temporary roles in PostgreSQL 13 and later, administered by a non-superuser bot.
 *
 * <p>Membership changes and drops hold a transaction-scoped advisory lock
 * ({@code pg_advisory_xact_lock(lockKey)}), so concurrent escalations, deescalations and other tools
 * that take the same lock never interleave them. {@code CREATE ROLE} itself runs before the lock
 * (see {@link #create}).
 */
public final class PostgresRoles implements DatabaseRoles {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresRoles.class);
    private static final String DUPLICATE_OBJECT = "42710";
    private static final String DEPENDENT_OBJECTS = "2BP01";
    private static final String LOCK_NOT_AVAILABLE = "55P03";
    private static final String UNDEFINED_OBJECT = "42704";
    private static final int MAX_ATTEMPTS = 5;
    /** How long deescalate waits for terminated sessions to exit. */
    private static final long TERMINATE_WAIT_MS = 5_000;
    /** Roles per statement on the sweep's path: large enough to amortise, small enough to keep statements short. */
    private static final int GROUP = 200;

    /**
     * Whether role {@code r} is a temporary login of this broker: a member of the marker role (the
     * first parameter) without the admin option, and not the bot itself, whose own membership has
     * it. On 16+ (second parameter true) the bot must also hold ADMIN OPTION on the role, which it
     * receives only for roles it created: a role someone else put in the marker is never touched.
     */
    private static final String MANAGED = "r.rolname <> current_user"
            + " AND EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
            + " WHERE m.member = r.oid AND g.rolname = ? AND NOT m.admin_option)"
            + " AND (NOT ? OR EXISTS (SELECT 1 FROM pg_auth_members a WHERE a.roleid = r.oid"
            + " AND a.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND a.admin_option))";

    private final TargetDatabase database;
    private final RoleAdminSettings settings;
    private volatile int serverVersion;
    /** Whether the reassign role passed {@link #vet}: it is checked again at each reassign. */
    private volatile boolean setupChecked;

    public PostgresRoles(TargetDatabase database, RoleAdminSettings settings) {
        this.database = database;
        this.settings = settings;
    }

    /**
     * One transaction, sent as one batch: check the targets, create the login, then take the
     * advisory lock and grant. The lock comes after {@code CREATE ROLE} on purpose: the server runs
     * a full PBKDF2 of the verifier inside it (its empty-password check), and holding the lock there
     * serialised every escalation behind that hash. {@code RoleLockScopeTest} shows the creation
     * itself needs no lock: concurrent creates of distinct roles never conflict. The grants, which
     * touch the shared target and marker roles, still happen under it, so a tool that takes the same
     * lock sees no membership change while it holds it.
     */
    @Override
    public void create(NewLogin login) {
        String role = Sql.ident(login.roleName());
        // Checked again here, in the transaction that grants: a target or marker given a
        // predefined role after the broker's first check is still never handed out.
        RoleChecks checks = new RoleChecks(subjects(List.of(login.target()), false));
        try (Connection c = database.connect()) {
            boolean sixteenPlus = version(c) >= 16;
            StringBuilder batch = new StringBuilder(lockTimeout()).append("; ").append(RoleChecks.SQL)
                    .append("; CREATE ROLE ").append(role)
                    .append(" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ")
                    .append(login.target().inherit() ? "INHERIT" : "NOINHERIT")
                    .append(" CONNECTION LIMIT ").append(login.connectionLimit())
                    .append(" VALID UNTIL ").append(Sql.timestamp(login.validUntil()))
                    .append(" PASSWORD ").append(Sql.literal(login.scramVerifier()))
                    .append("; ").append(lockStatement())
                    // The marker only says "the broker made this"; it carries no privileges, and on
                    // 16+ the membership neither inherits nor allows SET ROLE.
                    .append("; GRANT ").append(Sql.ident(settings.markerRole())).append(" TO ").append(role)
                    .append(sixteenPlus ? " WITH INHERIT FALSE, SET FALSE" : "");
            for (String target : login.target().roles()) {
                batch.append("; GRANT ").append(Sql.ident(target)).append(" TO ").append(role);
            }
            withRetries(c, () -> {
                try (PreparedStatement p = c.prepareStatement(batch.toString())) {
                    checks.bind(p, 1);
                    p.execute();
                    p.getMoreResults(); // past SET LOCAL, to the check's rows
                    requireNoProblems(checks.read(p.getResultSet()));
                }
            });
        } catch (SQLException e) {
            if (DUPLICATE_OBJECT.equals(e.getSQLState())) {
                throw new RoleNameTaken(login.roleName());
            }
            // The batch failed before its check could be read (a missing or forbidden target fails
            // its GRANT): if the check explains it, that is the clearer message.
            try (Connection c = database.connect()) {
                requireNoProblems(checks.run(c));
            } catch (SQLException ignored) {
                // report the original error below
            }
            throw new BrokerException("could not create the login in PostgreSQL: " + oneLine(e), e);
        }
    }

    /**
     * Checks before anything is written: the marker and reassign roles once (the marker is checked
     * again at every create, the reassign role at every reassign), and the targets every time.
     */
    @Override
    public Map<String, String> vet(java.util.Collection<Target> targets) {
        List<RoleChecks.Subject> subjects = subjects(targets, !setupChecked);
        try (Connection c = database.connect()) {
            Map<RoleChecks.Subject, String> problems = new RoleChecks(subjects).run(c);
            Map<String, String> refused = new LinkedHashMap<>();
            for (Map.Entry<RoleChecks.Subject, String> problem : problems.entrySet()) {
                if (problem.getKey().kind() != RoleChecks.Kind.TARGET) {
                    throw new BrokerException("the broker is misconfigured: " + problem.getValue());
                }
                refused.putIfAbsent(problem.getKey().key(), problem.getValue());
            }
            setupChecked = true;
            return refused;
        } catch (SQLException e) {
            throw new BrokerException("could not check the target roles in PostgreSQL: " + oneLine(e), e);
        }
    }

    /** Every role of the targets, and the marker; with {@code setup}, also the reassign role. */
    private List<RoleChecks.Subject> subjects(java.util.Collection<Target> targets, boolean setup) {
        List<RoleChecks.Subject> subjects = new ArrayList<>();
        for (Target target : targets) {
            for (String role : target.roles()) {
                subjects.add(RoleChecks.Subject.target(target, role));
            }
        }
        subjects.add(RoleChecks.Subject.marker(settings.markerRole()));
        if (setup && settings.reassignOwnedTo() != null) {
            subjects.add(RoleChecks.Subject.reassign(settings.reassignOwnedTo()));
        }
        return subjects;
    }

    private static void requireNoProblems(Map<RoleChecks.Subject, String> problems) {
        for (Map.Entry<RoleChecks.Subject, String> problem : problems.entrySet()) {
            throw new BrokerException(problem.getKey().kind() == RoleChecks.Kind.TARGET ? problem.getValue()
                    : "the broker is misconfigured: " + problem.getValue());
        }
    }

    @Override
    public RoleRemoval remove(String roleName) {
        try (Connection c = database.connect()) {
            Long oid = managedRoleOid(c, roleName);
            if (oid == null) {
                return new RoleRemoval(Outcome.ABSENT, 0, null);
            }
            String role = Sql.ident(roleName);
            // First stop new logins, then end the sessions that are already open: VALID UNTIL and
            // NOLOGIN are only checked when a session starts.
            inTransaction(c, s -> s.execute("ALTER ROLE " + role + " NOLOGIN"));
            int terminated = terminateSessions(c, oid);
            try {
                inTransaction(c, s -> {
                    if (settings.reassignOwnedTo() != null && reassignRoleIsSafe(c)) {
                        reassignOwned(c, s, role);
                    }
                    s.execute("DROP ROLE " + role);
                });
                return new RoleRemoval(Outcome.DROPPED, terminated, null);
            } catch (SQLException e) {
                if (!DEPENDENT_OBJECTS.equals(e.getSQLState())) {
                    throw e;
                }
                String why = dependentObjects(e);
                disable(c, roleName);
                LOG.warn("role {} owns objects or holds privileges ({}); disabled instead of dropped", roleName, why);
                return new RoleRemoval(Outcome.DISABLED, terminated, why);
            }
        } catch (SQLException e) {
            if (UNDEFINED_OBJECT.equals(e.getSQLState()) && absent(roleName)) {
                // Dropped between our look-up and our DDL: a concurrent deescalate or sweep won.
                return new RoleRemoval(Outcome.ABSENT, 0, null);
            }
            throw new BrokerException("could not remove role " + roleName + " in PostgreSQL: " + oneLine(e), e);
        }
    }

    /**
     * The sweep's path: one look-up of all the roles, one transaction that stops their logins, one
     * statement that ends their sessions, one {@code DROP ROLE a, b, ...}. Roles with entries in
     * {@code pg_shdepend} (they own objects or hold privileges somewhere in the cluster) are left to
     * {@link #remove}, which reassigns or disables them; so is every role of a group whose drop
     * still fails.
     */
    @Override
    public Map<String, RoleRemoval> removeAll(List<String> roleNames) {
        Map<String, RoleRemoval> out = new LinkedHashMap<>();
        for (int from = 0; from < roleNames.size(); from += GROUP) {
            out.putAll(removeGroup(roleNames.subList(from, Math.min(roleNames.size(), from + GROUP))));
        }
        return out;
    }

    private Map<String, RoleRemoval> removeGroup(List<String> names) {
        Map<String, RoleRemoval> out = new LinkedHashMap<>();
        try (Connection c = database.connect()) {
            Map<String, Long> droppable = new LinkedHashMap<>();
            Set<String> existing = new HashSet<>();
            try (PreparedStatement p = c.prepareStatement("SELECT r.rolname, r.oid, " + MANAGED
                    + ", EXISTS (SELECT 1 FROM pg_shdepend d WHERE d.refclassid = 'pg_catalog.pg_authid'::regclass"
                    + " AND d.refobjid = r.oid) FROM pg_roles r WHERE r.rolname = ANY (?)")) {
                p.setString(1, settings.markerRole());
                p.setBoolean(2, version(c) >= 16);
                p.setArray(3, c.createArrayOf("text", names.toArray()));
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        existing.add(r.getString(1));
                        if (r.getBoolean(3) && !r.getBoolean(4)) {
                            droppable.put(r.getString(1), r.getLong(2));
                        }
                    }
                }
            }
            for (String name : names) {
                if (!existing.contains(name)) {
                    out.put(name, new RoleRemoval(Outcome.ABSENT, 0, null));
                }
            }
            if (droppable.isEmpty()) {
                return out;
            }
            String quoted = String.join(", ", droppable.keySet().stream().map(Sql::ident).toList());
            inTransaction(c, s -> s.execute(String.join("; ", droppable.keySet().stream()
                    .map(name -> "ALTER ROLE " + Sql.ident(name) + " NOLOGIN").toList())));
            Map<Long, Integer> terminated = terminateSessions(c, droppable.values());
            try {
                inTransaction(c, s -> s.execute("DROP ROLE " + quoted));
            } catch (SQLException e) {
                // Something changed since the look-up (a grant, an object): each goes the careful way.
                LOG.info("dropping {} roles together failed ({}); removing them one by one", droppable.size(),
                        oneLine(e));
                return out;
            }
            droppable.forEach((name, oid) ->
                    out.put(name, new RoleRemoval(Outcome.DROPPED, terminated.getOrDefault(oid, 0), null)));
            return out;
        } catch (SQLException e) {
            throw new BrokerException("could not remove temporary roles in PostgreSQL: " + oneLine(e), e);
        }
    }

    @Override
    public List<ManagedRole> managedRoles() {
        try (Connection c = database.connect();
             PreparedStatement p = c.prepareStatement(
                     "SELECT r.rolname, r.rolvaliduntil, r.rolcanlogin FROM pg_roles r WHERE " + MANAGED + " ORDER BY r.rolname")) {
            p.setString(1, settings.markerRole());
            p.setBoolean(2, version(c) >= 16);
            List<ManagedRole> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    java.sql.Timestamp until = r.getTimestamp(2);
                    out.add(new ManagedRole(r.getString(1), until == null ? null : until.toInstant(), r.getBoolean(3)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new BrokerException("could not list temporary roles in PostgreSQL: " + oneLine(e), e);
        }
    }

    /**
     * A session-level advisory lock on (lock key, 1): released when the lease closes, or by the
     * server if the broker dies, so a crashed sweep never blocks the next one.
     */
    @Override
    public Optional<AutoCloseable> claimSweep() {
        Connection c = null;
        try {
            c = database.connect();
            try (PreparedStatement p = c.prepareStatement("SELECT pg_try_advisory_lock(?, 1)")) {
                p.setInt(1, (int) settings.lockKey());
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    if (!r.getBoolean(1)) {
                        c.close();
                        return Optional.empty();
                    }
                }
            }
            Connection held = c;
            return Optional.of(() -> {
                try (held; PreparedStatement p = held.prepareStatement("SELECT pg_advisory_unlock(?, 1)")) {
                    p.setInt(1, (int) settings.lockKey());
                    p.execute();
                }
            });
        } catch (SQLException e) {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // already broken
                }
            }
            throw new BrokerException("could not claim the sweep in PostgreSQL: " + oneLine(e), e);
        }
    }

    private boolean absent(String roleName) {
        try (Connection c = database.connect(); PreparedStatement p = c.prepareStatement(
                "SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            p.setString(1, roleName);
            try (ResultSet r = p.executeQuery()) {
                return !r.next();
            }
        } catch (SQLException e) {
            return false;
        }
    }

    /** The role's oid if it exists and is one of ours (see {@link #MANAGED}); null if absent; refusal if not. */
    private Long managedRoleOid(Connection c, String roleName) throws SQLException {
        // Whether it exists, first, from pg_authid alone: undoing an escalation whose role was never
        // created must not wait on pg_auth_members, which may be the very lock that failed it.
        try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            p.setString(1, roleName);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
            }
        }
        try (PreparedStatement p = c.prepareStatement(
                "SELECT r.oid, " + MANAGED + " FROM pg_roles r WHERE r.rolname = ?")) {
            p.setString(1, settings.markerRole());
            p.setBoolean(2, version(c) >= 16);
            p.setString(3, roleName);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                if (!r.getBoolean(2)) {
                    throw new BrokerException("refusing to remove role " + roleName + ": it is not a member of "
                            + settings.markerRole() + ", so pg-ephemeral did not create it");
                }
                return r.getLong(1);
            }
        }
    }

    /**
     * Ends every backend logged in as the role. Matching on the login's oid also catches sessions
     * that switched to the target role with SET ROLE.
     */
    private int terminateSessions(Connection c, long oid) throws SQLException {
        return terminateSessions(c, List.of(oid)).getOrDefault(oid, 0);
    }

    /** Ends the backends of all the roles in one statement; the count per role oid. */
    private Map<Long, Integer> terminateSessions(Connection c, java.util.Collection<Long> oids) throws SQLException {
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
            awaitSessionsGone(c, roles);
        }
        return terminated;
    }

    /** pg_terminate_backend only signals; wait until the backends have really exited. */
    private void awaitSessionsGone(Connection c, Array oids) throws SQLException {
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

    /**
     * Checked at every reassign, in its transaction: a role given privileges after the broker
     * started must not receive objects a temporary login made (a SECURITY DEFINER function would
     * then run with them). Without the reassign, a role that owns objects is disabled instead.
     */
    private boolean reassignRoleIsSafe(Connection c) throws SQLException {
        Map<RoleChecks.Subject, String> problems = new RoleChecks(
                List.of(RoleChecks.Subject.reassign(settings.reassignOwnedTo()))).run(c);
        problems.values().forEach(problem -> LOG.error("not reassigning objects: {}", problem));
        return problems.isEmpty();
    }

    /**
     * Hands the role's objects to the configured owner. REASSIGN OWNED needs the privileges of the
     * role, which the bot does not hold by default on 16+ (it only administers the roles it
     * creates), so it first grants the role to itself; the grant disappears with the role.
     */
    private void reassignOwned(Connection c, Statement s, String role) throws SQLException {
        s.execute("GRANT " + role + " TO CURRENT_USER" + (version(c) >= 16 ? " WITH INHERIT TRUE" : ""));
        s.execute("REASSIGN OWNED BY " + role + " TO " + Sql.ident(settings.reassignOwnedTo()));
        s.execute("DROP OWNED BY " + role);
    }

    /**
     * Leaves a role that cannot be dropped unable to do anything: no login, no password, expired,
     * and no memberships but the marker, which keeps it visible to the broker for a later retry.
     */
    private void disable(Connection c, String roleName) throws SQLException {
        String role = Sql.ident(roleName);
        List<String> memberships = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                        + " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = ? AND g.rolname <> ?")) {
            p.setString(1, roleName);
            p.setString(2, settings.markerRole());
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    memberships.add(r.getString(1));
                }
            }
        }
        List<String> members = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(
                "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                        + " JOIN pg_roles r ON r.oid = m.member WHERE g.rolname = ? AND r.rolname <> current_user")) {
            p.setString(1, roleName);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    members.add(r.getString(1));
                }
            }
        }
        inTransaction(c, s -> {
            s.execute("ALTER ROLE " + role + " NOLOGIN PASSWORD NULL VALID UNTIL "
                    + Sql.timestamp(Instant.EPOCH));
            for (String granted : memberships) {
                s.execute("REVOKE " + Sql.ident(granted) + " FROM " + role);
            }
            // Before 16 a login may grant itself to others; such grants must not outlive it.
            for (String member : members) {
                s.execute("REVOKE " + role + " FROM " + Sql.ident(member));
            }
        });
    }

    /**
     * SET LOCAL takes no parameters; the value is a number we format ourselves: the configured lock
     * timeout, or less when the invocation has less time left.
     */
    private String lockTimeout() {
        return "SET LOCAL lock_timeout = '" + Deadline.current().bound(settings.lockTimeout()).toMillis() + "ms'";
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

    private String lockStatement() {
        return "SELECT pg_advisory_xact_lock(" + settings.lockKey() + ")";
    }

    private interface Work {
        void run(Statement s) throws SQLException;
    }

    private interface Batch {
        void run() throws SQLException;
    }

    /** Runs role DDL in one transaction under the advisory lock, taken first. */
    private void inTransaction(Connection c, Work work) throws SQLException {
        withRetries(c, () -> {
            try (Statement s = c.createStatement()) {
                s.execute(lockTimeout() + "; " + lockStatement());
                work.run(s);
            }
        });
    }

    /**
     * Runs {@code work} as one transaction and commits it. Concurrent role DDL can still fail in
     * ways that succeed on a second try (serialization failures, deadlocks, "tuple concurrently
     * updated", a unique violation on pg_authid): those are retried with jittered backoff.
     */
    private void withRetries(Connection c, Batch work) throws SQLException {
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

    private int version(Connection c) throws SQLException {
        if (serverVersion == 0) {
            serverVersion = c.getMetaData().getDatabaseMajorVersion();
        }
        return serverVersion;
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // The connection is broken; the pool discards it and the server rolled back anyway.
        }
    }

    /** The server's DETAIL on 2BP01 lists what depends on the role, e.g. "owner of table t". */
    private static String dependentObjects(SQLException e) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null
                && p.getServerErrorMessage().getDetail() != null) {
            return p.getServerErrorMessage().getDetail().replaceAll("\\s+", " ").strip();
        }
        return "objects depend on it";
    }

    /** The server's message, without pgjdbc's extra lines. */
    static String oneLine(SQLException e) {
        Optional<String> tls = DatabaseTls.explain(e);
        if (tls.isPresent()) {
            return tls.get();
        }
        String message = e instanceof PSQLException p && p.getServerErrorMessage() != null
                ? p.getServerErrorMessage().getMessage() : e.getMessage();
        if (message == null) {
            return e.getClass().getSimpleName();
        }
        String first = message.lines().findFirst().orElse(message).strip();
        return e.getSQLState() == null ? first : first + " (SQLSTATE " + e.getSQLState() + ")";
    }
}
