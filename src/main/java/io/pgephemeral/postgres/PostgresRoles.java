package io.pgephemeral.postgres;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.DatabaseRoles;
import io.pgephemeral.broker.ManagedRole;
import io.pgephemeral.broker.NewLogin;
import io.pgephemeral.broker.RoleNameTaken;
import io.pgephemeral.broker.RoleRemoval;
import io.pgephemeral.broker.RoleRemoval.Outcome;
import io.pgephemeral.broker.Target;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.pgephemeral.database.SqlErrors.oneLine;

/**
 * Temporary roles in PostgreSQL 13 and later, administered by a non-superuser bot.
 *
 * <p>Membership changes and drops hold a transaction-scoped advisory lock
 * ({@code pg_advisory_xact_lock(lockKey)}), so concurrent escalations, deescalations and other tools
 * that take the same lock never interleave them. {@code CREATE ROLE} itself runs before the lock
 * (see {@link #create}).
 *
 * <p>This class decides what happens; the text of each statement is {@link RoleStatements}', the
 * transactions, retries and lock waits are {@link RoleTransactions}', ending sessions is
 * {@link RoleSessions}', and what the catalog says about the broker's roles is
 * {@link ManagedRoleCatalog}'s.
 */
public final class PostgresRoles implements DatabaseRoles {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresRoles.class);
    private static final String DUPLICATE_OBJECT = "42710";
    private static final String DEPENDENT_OBJECTS = "2BP01";
    private static final String UNDEFINED_OBJECT = "42704";
    private static final String INSUFFICIENT_PRIVILEGE = "42501";
    /** Roles per statement on the sweep's path: large enough to amortise, small enough to keep statements short. */
    private static final int GROUP = 200;

    private final TargetDatabase database;
    private final RoleAdminSettings settings;
    private final RoleTransactions transactions;
    private final ManagedRoleCatalog catalog;
    private final CreatorRoles creators;
    /** Whether the reassign role passed {@link #vet}: it is checked again at each reassign. */
    private volatile boolean setupChecked;

    public PostgresRoles(TargetDatabase database, RoleAdminSettings settings) {
        this.database = database;
        this.settings = settings;
        this.transactions = new RoleTransactions(settings);
        this.catalog = new ManagedRoleCatalog(settings.markerRole());
        this.creators = new CreatorRoles(settings.creatorRoles());
    }

    /**
     * One transaction, sent as one batch with its {@code COMMIT}: check the targets, create the
     * login, then take the advisory lock and grant. The check is {@link RoleChecks#GUARD}, which
     * fails when a target or the marker is refused, so the server skips everything after it, the
     * {@code COMMIT} included, and the batch costs one round trip; the reason is then read with the
     * check on its own. The lock comes after {@code CREATE ROLE} on purpose: the server runs
     * a full PBKDF2 of the verifier inside it (its empty-password check), and holding the lock there
     * serialised every escalation behind that hash. {@code RoleLockScopeTest} shows the creation
     * itself needs no lock: concurrent creates of distinct roles never conflict. The grants, which
     * touch the shared target and marker roles, still happen under it, so a tool that takes the same
     * lock sees no membership change while it holds it. With creator roles, everything after the
     * check runs as the login's creator ({@link CreatorRoles}), which then holds its ADMIN OPTION.
     */
    @Override
    public void create(NewLogin login) {
        String role = login.roleName();
        // Checked again here, in the transaction that grants: a target or marker given a
        // predefined role after the broker's first check is still never handed out.
        RoleChecks checks = new RoleChecks(subjects(List.of(login.target()), false));
        try (Connection c = database.connect()) {
            String creator = creator(c, role);
            List<String> batch = new ArrayList<>(List.of(transactions.lockTimeout(), RoleChecks.GUARD));
            if (catalog.sixteenPlus(c)) {
                batch.add(RoleStatements.noSelfGrant());
            }
            if (creator != null) {
                batch.add(RoleStatements.setRole(creator));
            }
            batch.addAll(List.of(RoleStatements.createRole(login), transactions.lock(),
                    RoleStatements.grantMarker(settings.markerRole(), role, catalog.sixteenPlus(c))));
            for (String target : login.target().roles()) {
                batch.add(RoleStatements.grant(target, role));
            }
            batch.add("COMMIT"); // skipped by the server if anything before it failed
            String sql = String.join("; ", batch);
            transactions.withRetries(c, () -> {
                try (PreparedStatement p = c.prepareStatement(sql)) {
                    checks.bind(p, 1);
                    p.execute();
                }
            });
        } catch (SQLException e) {
            if (DUPLICATE_OBJECT.equals(e.getSQLState())) {
                throw new RoleNameTaken(login.roleName());
            }
            // The guard refused a target, or a GRANT failed (a missing or forbidden target): the
            // check on its own says why in words. Nothing was committed either way.
            try (Connection c = database.connect()) {
                requireNoProblems(checks.run(c));
            } catch (SQLException ignored) {
                // report the original error below
            }
            if (String.valueOf(e.getMessage()).contains(RoleChecks.REFUSAL)) {
                throw new BrokerException("a target or the marker role changed while the login was created and was"
                        + " refused by the check; nothing was created: try again", e);
            }
            throw new BrokerException("could not create the login in PostgreSQL: " + oneLine(e)
                    + (INSUFFICIENT_PRIVILEGE.equals(e.getSQLState()) && !creators.none()
                    ? "; every target role must be granted to every creator role WITH ADMIN TRUE (docs/operators.md)" : ""), e);
        }
    }

    /** The creator role that makes this login, or null for the bot; refused before 16. */
    private String creator(Connection c, String login) throws SQLException {
        if (creators.none()) {
            return null;
        }
        requireSixteenForCreators(c);
        return creators.pick(login);
    }

    private void requireSixteenForCreators(Connection c) throws SQLException {
        if (!catalog.sixteenPlus(c)) {
            throw new BrokerException("the broker is misconfigured: " + creators.beforeSixteen(catalog.serverMajor(c)));
        }
    }

    /**
     * Checks before anything is written: the marker and reassign roles once (the marker is checked
     * again at every create, the reassign role at every reassign), and the targets every time.
     */
    @Override
    public Map<String, String> vet(Collection<Target> targets) {
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
            // After the marker's check: a creator cannot be sound while the marker is missing.
            if (!setupChecked && !creators.none()) {
                requireSixteenForCreators(c);
                for (String problem : creators.problems(c, settings.markerRole()).values()) {
                    throw new BrokerException("the broker is misconfigured: " + problem);
                }
            }
            setupChecked = true;
            return refused;
        } catch (SQLException e) {
            throw new BrokerException("could not check the target roles in PostgreSQL: " + oneLine(e), e);
        }
    }

    /** Every role of the targets, and the marker; with {@code setup}, also the reassign role. */
    private List<RoleChecks.Subject> subjects(Collection<Target> targets, boolean setup) {
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
            ManagedRoleCatalog.Managed login = catalog.managed(c, roleName);
            if (login == null) {
                return new RoleRemoval(Outcome.ABSENT, 0, null);
            }
            String manager = login.manager();
            // First stop new logins, then end the sessions that are already open: VALID UNTIL and
            // NOLOGIN are only checked when a session starts.
            transactions.underLock(c, manager, List.of(RoleStatements.noLogin(roleName)));
            int terminated = RoleSessions.terminate(c, login.oid());
            try {
                if (settings.reassignOwnedTo() == null) {
                    transactions.underLock(c, manager, List.of(RoleStatements.dropRoles(List.of(roleName))));
                } else {
                    transactions.underLock(c, manager, s -> {
                        if (reassignRoleIsSafe(c)) {
                            reassignOwned(c, s, roleName, manager);
                        }
                        s.execute(RoleStatements.dropRoles(List.of(roleName)));
                    });
                }
                return new RoleRemoval(Outcome.DROPPED, terminated, null);
            } catch (SQLException e) {
                if (!DEPENDENT_OBJECTS.equals(e.getSQLState())) {
                    throw e;
                }
                String why = dependentObjects(e);
                disable(c, roleName, manager);
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
            ManagedRoleCatalog.Lookup found = catalog.lookUp(c, names);
            for (String name : names) {
                if (!found.existing().contains(name)) {
                    out.put(name, new RoleRemoval(Outcome.ABSENT, 0, null));
                }
            }
            Map<String, ManagedRoleCatalog.Managed> droppable = found.droppable();
            if (droppable.isEmpty()) {
                return out;
            }
            // Each role's DDL runs as the creator role that made it (null: the bot), one switch per creator.
            Map<String, List<String>> byManager = new LinkedHashMap<>();
            droppable.forEach((name, login) -> byManager.computeIfAbsent(login.manager(), m -> new ArrayList<>()).add(name));
            List<String> noLogins = new ArrayList<>();
            List<String> drops = new ArrayList<>();
            for (Map.Entry<String, List<String>> group : byManager.entrySet()) {
                noLogins.add(RoleStatements.setRole(group.getKey()) + "; " + RoleStatements.noLogin(group.getValue()));
                drops.add(RoleStatements.setRole(group.getKey()) + "; " + RoleStatements.dropRoles(group.getValue()));
            }
            transactions.underLock(c, null, noLogins);
            Map<Long, Integer> terminated = RoleSessions.terminate(c,
                    droppable.values().stream().map(ManagedRoleCatalog.Managed::oid).toList());
            try {
                transactions.underLock(c, null, drops);
            } catch (SQLException e) {
                // Something changed since the look-up (a grant, an object): each goes the careful way.
                LOG.info("dropping {} roles together failed ({}); removing them one by one", droppable.size(),
                        oneLine(e));
                return out;
            }
            droppable.forEach((name, login) ->
                    out.put(name, new RoleRemoval(Outcome.DROPPED, terminated.getOrDefault(login.oid(), 0), null)));
            return out;
        } catch (SQLException e) {
            throw new BrokerException("could not remove temporary roles in PostgreSQL: " + oneLine(e), e);
        }
    }

    @Override
    public List<ManagedRole> managedRoles() {
        try (Connection c = database.connect()) {
            return catalog.list(c);
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
        try (Connection c = database.connect()) {
            return !ManagedRoleCatalog.exists(c, roleName);
        } catch (SQLException e) {
            return false;
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
     * Hands the role's objects to the configured owner. The role's creator (the transaction runs as
     * it) grants the role to the bot; the bot, which holds the reassign role, reassigns; then the
     * transaction goes on as the creator.
     */
    private void reassignOwned(Connection c, Statement s, String role, String manager) throws SQLException {
        s.execute(RoleStatements.grantToBot(role, catalog.sixteenPlus(c)));
        if (manager != null) {
            s.execute(RoleStatements.setRole(null));
        }
        s.execute(RoleStatements.reassignOwned(role, settings.reassignOwnedTo()));
        s.execute(RoleStatements.dropOwned(role));
        if (manager != null) {
            s.execute(RoleStatements.setRole(manager));
        }
    }

    /**
     * Leaves a role that cannot be dropped unable to do anything: no login, no password, expired,
     * and no memberships but the marker, which keeps it visible to the broker for a later retry.
     * As the role's creator: a REVOKE only removes grants made by the role that runs it.
     */
    private void disable(Connection c, String role, String manager) throws SQLException {
        List<String> memberships = catalog.memberships(c, role);
        List<String> members = catalog.members(c, role, manager);
        List<String> statements = new ArrayList<>(List.of(RoleStatements.disable(role)));
        for (String granted : memberships) {
            statements.add(RoleStatements.revoke(granted, role));
        }
        // Before 16 a login may grant itself to others; such grants must not outlive it.
        for (String member : members) {
            statements.add(RoleStatements.revoke(role, member));
        }
        transactions.underLock(c, manager, statements);
    }

    /** The server's DETAIL on 2BP01 lists what depends on the role, e.g. "owner of table t". */
    private static String dependentObjects(SQLException e) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null
                && p.getServerErrorMessage().getDetail() != null) {
            return p.getServerErrorMessage().getDetail().replaceAll("\\s+", " ").strip();
        }
        return "objects depend on it";
    }
}
