package io.pgephemeral.bench;

import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.database.Sql;
import io.pgephemeral.testing.TestEnvironment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the cost of the bot's role DDL grows with the number of temporary roles it has created, on
 * the major that {@code -Dpg.binaries.version} picks (issue 14, "Sweep at 10,000"; the experiments of
 * the source reading in the issue). On 16+ a CREATEROLE role is granted ADMIN on every role it
 * creates, and every ADMIN check walks those memberships; on 13-15 there is no such grant.
 *
 * <pre>mvn -o -B -q -DskipTests test-compile exec:java@ddl-scaling -Dpg.binaries.version=16.15.0 \
 *     [-Dddl.levels=0,1000,5000,10000] [-Dddl.sample=100] [-Dddl.shards=10] [-Dddl.budget.seconds=270]</pre>
 *
 * At each level N (roles made by the bot as the broker makes them, still present), as the bot:
 * CREATE ROLE with its grants in one transaction (with the SCRAM verifier, as sent in production,
 * and without it, to leave out the server's PBKDF2), ALTER ROLE .. NOLOGIN, DROP ROLE of a sample in
 * one statement under the advisory lock (the sweep's shape), DROP ROLE one at a time; and the same
 * one-statement DROP by the superuser. On 16+, at the top level, the same DDL through one of K
 * creator roles the bot SETs ROLE to, with the roles spread over the K creators. Prints a table and
 * writes {@code target/bench/ddl-scaling-<major>.json}. Filling stops at the time budget
 * ({@code -Dddl.budget.seconds}), and the last level is then the number of roles reached;
 * {@code -Dddl.fill=superuser} fills faster on 16+ (see {@link #fill}).
 */
public final class RoleDdlScaling {

    private static final String TARGET = "readonly";
    private static final long LOCK_KEY = 7262931;
    private static final int FILL_BATCH = 250;

    private final TestEnvironment env;
    private final boolean sixteenPlus;
    private final int sample = Integer.getInteger("ddl.sample", 100);
    private final int shards = Integer.getInteger("ddl.shards", 10);
    private final boolean superuserFill;
    private final long deadline;
    private final PasswordGenerator passwords = new PasswordGenerator();
    private final List<Map<String, Object>> levels = new ArrayList<>();
    private Map<String, Object> sharding;
    private int filled;
    private String serverVersion;
    private String membershipShape;

    private RoleDdlScaling(TestEnvironment env, long budgetSeconds) {
        this.env = env;
        this.sixteenPlus = env.serverMajor() >= 16;
        this.deadline = System.nanoTime() + budgetSeconds * 1_000_000_000L;
        this.superuserFill = sixteenPlus && "superuser".equals(System.getProperty("ddl.fill", "bot"));
    }

    public static void main(String[] args) {
        // Measure the DDL, not the statement log (the benchmark does the same).
        if (System.getProperty("test.pg.log_statement") == null) {
            System.setProperty("test.pg.log_statement", "none");
        }
        int status = 1;
        try {
            int[] targets = Arrays.stream(System.getProperty("ddl.levels", "0,1000,5000,10000").split(","))
                    .map(String::trim).mapToInt(Integer::parseInt).toArray();
            RoleDdlScaling bench = new RoleDdlScaling(TestEnvironment.get(), Long.getLong("ddl.budget.seconds", 270));
            bench.run(targets);
            bench.report();
            status = 0;
        } catch (Exception | Error e) {
            System.err.println(Benchmark.failure("ddl scaling", e));
        } finally {
            System.exit(status); // the embedded server's threads would keep the JVM alive
        }
    }

    private void run(int[] targets) throws Exception {
        try (Connection admin = env.admin(); Connection bot = env.login(TestEnvironment.BOT, env.botPassword())) {
            serverVersion = one(admin, "SHOW server_version");
            for (int target : targets) {
                boolean reached = superuserFill ? fill(admin, target) : fill(bot, target);
                levels.add(measure(admin, bot));
                print(levels.get(levels.size() - 1));
                if (!reached) {
                    System.out.println("time budget reached at N=" + filled + ": no higher level");
                    break;
                }
            }
            // Experiment 1: what the bot holds on a role it made (on 16+ the implicit ADMIN grant).
            membershipShape = !sixteenPlus || filled == 0 ? "none: no implicit grant before 16" : one(admin,
                    "SELECT format('grantor %s, admin %s, inherit %s, set %s', grantor::regrole, admin_option,"
                    + " inherit_option, set_option) FROM pg_auth_members WHERE member = 'ephemeral_bot'::regrole"
                    + " AND roleid = 'fill_0'::regrole");
            System.out.println("the bot's membership in fill_0: " + membershipShape);
            if (sixteenPlus && shards > 0) {
                sharding = shard(admin, bot, filled);
            }
        }
    }

    // ---- filling ----

    /**
     * Roles as the broker makes them (login, marker, target), in batches; false if the budget ran out
     * first. With {@code -Dddl.fill=superuser} (16+ only) the superuser makes them and grants each to
     * the bot WITH ADMIN TRUE, INHERIT FALSE, SET FALSE: the same row as the implicit grant (grantor
     * the bootstrap superuser), made without the bot's O(N) checks, so 10,000 fits in the time; the
     * marker and target grants then name the superuser as grantor instead of the bot.
     */
    private boolean fill(Connection c, int target) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            while (filled < target) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                int upTo = Math.min(target, filled + FILL_BATCH);
                for (; filled < upTo; filled++) {
                    addCreate(s, "fill_" + filled);
                    if (superuserFill) {
                        s.addBatch("GRANT " + Sql.ident("fill_" + filled) + " TO " + TestEnvironment.BOT
                                + " WITH ADMIN TRUE, INHERIT FALSE, SET FALSE");
                    }
                }
                s.executeBatch();
                c.commit();
            }
        } finally {
            c.setAutoCommit(true);
        }
        return true;
    }

    private void addCreate(Statement s, String role) throws SQLException {
        s.addBatch("CREATE ROLE " + Sql.ident(role) + " LOGIN VALID UNTIL " + Sql.timestamp(Instant.now().plusSeconds(3600)));
        s.addBatch(grantMarker(role));
        s.addBatch("GRANT " + Sql.ident(TARGET) + " TO " + Sql.ident(role));
    }

    private String grantMarker(String role) {
        return "GRANT " + Sql.ident(TestEnvironment.MARKER) + " TO " + Sql.ident(role)
                + (sixteenPlus ? " WITH INHERIT FALSE, SET FALSE" : "");
    }

    // ---- one level ----

    private Map<String, Object> measure(Connection admin, Connection bot) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", filled);
        m.put("bot_memberships", Long.parseLong(one(admin,
                "SELECT count(*) FROM pg_auth_members WHERE member = 'ephemeral_bot'::regrole")));
        m.put("roles_total", Long.parseLong(one(admin, "SELECT count(*) FROM pg_roles")));
        String prefix = "s" + filled + "_";
        List<String> toNologin = names(prefix + "a", sample);
        List<String> toDropEach = names(prefix + "b", sample);
        List<String> toDropSuper = names(prefix + "c", sample);

        Stats created = new Stats();
        for (String role : toNologin) {
            created.add(create(bot, role, true));
        }
        Stats createdNoPassword = new Stats();
        for (String role : concat(toDropEach, toDropSuper)) {
            createdNoPassword.add(create(bot, role, false));
        }
        m.put("create_ms", created.percentileMs(50));
        m.put("create_no_password_ms", createdNoPassword.percentileMs(50));
        m.put("nologin_ms", noLogin(bot, toNologin).percentileMs(50));
        m.put("drop_statement_ms", dropInOneStatement(bot, toNologin));
        m.put("drop_each_ms", dropEach(bot, toDropEach).percentileMs(50));
        m.put("drop_superuser_ms", dropInOneStatement(admin, toDropSuper));
        m.put("sweep_roles_per_s", 1000.0 / ((Double) m.get("nologin_ms") + (Double) m.get("drop_statement_ms")));
        return m;
    }

    /** One transaction as the broker's create: the login, the lock, the marker and the target. */
    private long create(Connection c, String role, boolean withVerifier) throws SQLException {
        String password = withVerifier ? " PASSWORD " + Sql.literal(ScramVerifier.of(passwords.generate(32),
                passwords.randomBytes(ScramVerifier.saltBytes()), ScramVerifier.DEFAULT_ITERATIONS)) : "";
        String sql = "SET LOCAL lock_timeout = '5000ms'; CREATE ROLE " + Sql.ident(role)
                + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 5"
                + " VALID UNTIL " + Sql.timestamp(Instant.now().plusSeconds(3600)) + password
                + "; SELECT pg_advisory_xact_lock(" + LOCK_KEY + "); " + grantMarker(role)
                + "; GRANT " + Sql.ident(TARGET) + " TO " + Sql.ident(role);
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            long start = System.nanoTime();
            s.execute(sql);
            c.commit();
            return System.nanoTime() - start;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** The sweep's first step: every role of the group NOLOGIN, in one transaction under the lock; each timed. */
    private static Stats noLogin(Connection c, List<String> roles) throws SQLException {
        Stats stats = new Stats();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL lock_timeout = '5000ms'");
            s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
            for (String role : roles) {
                long start = System.nanoTime();
                s.execute("ALTER ROLE " + Sql.ident(role) + " NOLOGIN");
                stats.add(System.nanoTime() - start);
            }
            c.commit();
        } finally {
            c.setAutoCommit(true);
        }
        return stats;
    }

    /** The sweep's drop: one DROP ROLE a, b, ... under the lock; ms per role, commit included. */
    private static double dropInOneStatement(Connection c, List<String> roles) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL lock_timeout = '5000ms'");
            s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
            long start = System.nanoTime();
            s.execute("DROP ROLE " + String.join(", ", roles.stream().map(Sql::ident).toList()));
            c.commit();
            return (System.nanoTime() - start) / 1e6 / roles.size();
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static Stats dropEach(Connection c, List<String> roles) throws SQLException {
        Stats stats = new Stats();
        try (Statement s = c.createStatement()) {
            for (String role : roles) {
                long start = System.nanoTime();
                s.execute("DROP ROLE " + Sql.ident(role));
                stats.add(System.nanoTime() - start);
            }
        }
        return stats;
    }

    // ---- sharding (16+): the bot SETs ROLE to one of K creators ----

    /**
     * K creator roles (NOLOGIN CREATEROLE, ADMIN on the target and the marker); the bot holds each
     * WITH SET TRUE, INHERIT FALSE. n more roles spread over them, then one creator's DDL timed.
     */
    private Map<String, Object> shard(Connection admin, Connection bot, int n) throws SQLException {
        if (System.nanoTime() > deadline + 60_000_000_000L) {
            System.out.println("no time left for the sharding experiment");
            return null;
        }
        List<String> creators = names("creator_", shards);
        try (Statement s = admin.createStatement()) {
            for (String creator : creators) {
                s.execute("CREATE ROLE " + Sql.ident(creator) + " NOLOGIN CREATEROLE");
                s.execute("GRANT " + Sql.ident(creator) + " TO " + TestEnvironment.BOT + " WITH SET TRUE, INHERIT FALSE");
                s.execute("GRANT " + Sql.ident(TARGET) + ", " + TestEnvironment.MARKER + " TO " + Sql.ident(creator)
                        + " WITH ADMIN TRUE, INHERIT FALSE, SET FALSE");
            }
        }
        int perCreator = n / shards;
        bot.setAutoCommit(false);
        try (Statement s = bot.createStatement()) {
            for (int k = 0; k < shards; k++) {
                s.execute("SET ROLE " + Sql.ident(creators.get(k)));
                for (int i = 0; i < perCreator; i++) {
                    addCreate(s, "sh" + k + "_" + i);
                    if ((i + 1) % FILL_BATCH == 0 || i == perCreator - 1) {
                        s.executeBatch();
                        bot.commit();
                    }
                }
                s.execute("RESET ROLE");
                bot.commit();
            }
        } finally {
            bot.setAutoCommit(true);
        }
        String creator = creators.get(3 % shards);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("k", shards);
        m.put("n_sharded", perCreator * shards);
        m.put("creator", creator);
        m.put("creator_memberships", Long.parseLong(one(admin, "SELECT count(*) FROM pg_auth_members WHERE member = "
                + Sql.literal(creator) + "::regrole")));
        m.put("bot_direct_memberships", Long.parseLong(one(admin,
                "SELECT count(*) FROM pg_auth_members WHERE member = 'ephemeral_bot'::regrole")));
        List<String> toNologin = names("shs_a", sample);
        List<String> toDropEach = names("shs_b", sample);
        try (Statement s = bot.createStatement()) {
            s.execute("SET ROLE " + Sql.ident(creator));
        }
        Stats created = new Stats();
        for (String role : concat(toNologin, toDropEach)) {
            created.add(create(bot, role, false));
        }
        m.put("create_no_password_ms", created.percentileMs(50));
        m.put("nologin_ms", noLogin(bot, toNologin).percentileMs(50));
        m.put("drop_statement_ms", dropInOneStatement(bot, toNologin));
        m.put("drop_each_ms", dropEach(bot, toDropEach).percentileMs(50));
        m.put("sweep_roles_per_s", 1000.0 / ((Double) m.get("nologin_ms") + (Double) m.get("drop_statement_ms")));
        try (Statement s = bot.createStatement()) {
            s.execute("RESET ROLE");
        }
        System.out.println("sharded: " + m);
        return m;
    }

    // ---- output ----

    private static final String[] COLUMNS = {"n", "bot_memberships", "create_ms", "create_no_password_ms", "nologin_ms",
            "drop_statement_ms", "drop_each_ms", "drop_superuser_ms", "sweep_roles_per_s"};

    private static void print(Map<String, Object> level) {
        StringBuilder line = new StringBuilder();
        for (String column : COLUMNS) {
            Object v = level.get(column);
            line.append(v instanceof Double d ? String.format(Locale.ROOT, "%10.2f", d) : String.format("%10s", v));
        }
        System.out.println(line);
    }

    private void report() throws Exception {
        System.out.println();
        System.out.println("PostgreSQL " + serverVersion + ", roles filled by the " + (superuserFill ? "superuser" : "bot")
                + ", ms per role (medians of " + sample + "; drop_statement and"
                + " drop_superuser: one DROP ROLE of " + sample + " roles, per role)");
        StringBuilder header = new StringBuilder();
        for (String column : COLUMNS) {
            header.append(String.format("%10s", column.length() > 9 ? column.substring(0, 9) : column));
        }
        System.out.println(header);
        levels.forEach(RoleDdlScaling::print);
        StringBuilder json = new StringBuilder("{\n  \"postgres\": \"" + serverVersion + "\",\n  \"major\": "
                + env.serverMajor() + ",\n  \"fill\": \"" + (superuserFill ? "superuser" : "bot")
                + "\",\n  \"sample\": " + sample + ",\n  \"cores\": "
                + Runtime.getRuntime().availableProcessors() + ",\n  \"levels\": [\n");
        for (int i = 0; i < levels.size(); i++) {
            json.append("    ").append(object(levels.get(i))).append(i + 1 < levels.size() ? ",\n" : "\n");
        }
        json.append("  ],\n  \"bot_membership_shape\": \"" + membershipShape + "\"");
        json.append(",\n  \"sharding\": ").append(sharding == null ? "null" : object(sharding)).append("\n}\n");
        Path out = Path.of("target", "bench", "ddl-scaling-" + env.serverMajor()
                + (superuserFill ? "-superuser-fill" : "") + ".json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, json.toString());
        System.out.println("wrote " + out);
    }

    private static String object(Map<String, Object> m) {
        List<String> fields = new ArrayList<>();
        m.forEach((k, v) -> fields.add("\"" + k + "\": " + (v instanceof Double d ? String.format(Locale.ROOT, "%.3f", d)
                : v instanceof String str ? "\"" + str + "\"" : String.valueOf(v))));
        return "{" + String.join(", ", fields) + "}";
    }

    // ---- helpers ----

    private static List<String> names(String prefix, int count) {
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(prefix + i);
        }
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
