package io.pgephemeral.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgephemeral.ledger.AuditQueries;
import io.pgephemeral.ledger.ChainHash;
import io.pgephemeral.ledger.ChainVerifier;
import io.pgephemeral.ledger.LedgerChain;
import io.pgephemeral.ledger.LedgerEntry;
import io.pgephemeral.ledger.LedgerMigrations;
import io.pgephemeral.ledger.LedgerTable;
import io.pgephemeral.database.Sql;
import io.pgephemeral.testing.TestEnvironment;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The ledger at scale: a ledger of {@code rows} events in a schema of its own, migrated like the
 * real one, then {@code ledger verify} and the auditors' questions against it.
 *
 * <p>The rows are what a year or so of a busy broker would leave: credentials requested about every
 * 90 seconds by a few thousand people (some far more often than others) for a few dozen targets,
 * approved by a few dozen leads; most are issued and later revoked or expired, a few fail (and some
 * are retried or reconciled later), a few are disabled. Events of different credentials interleave
 * in time, as they do in a real ledger. Credentials still within their lifetime at the end of the
 * ledger (which ends now) are open, as are a few old ones that were never closed (overdue), so
 * listing the active credentials cannot stop at the newest ones. The hash chain is computed here
 * with {@link ChainHash} and the rows are loaded with COPY; generation is seeded, so every run holds
 * the same data (up to the time the ledger ends).
 *
 * <p>Figures: {@code ledger_verify_<rows>_rate} (rows/s) and {@code _time} (s), the median of
 * three runs of {@link ChainVerifier} as {@code ledger verify} runs it; {@code audit_<query>_<rows>}
 * (ms), the median of 15 runs after five warm-ups, each on a fresh plan as the CLI's one query per
 * connection gets: {@code active} ({@code SELECT * FROM audit_active}, what the auditors' guide runs
 * in psql), {@code list_active} ({@code ledger list --active}), {@code requester}, {@code target_since}
 * (one target, credentials active in the last 30 days) and {@code approver}, each the newest 200
 * through {@link AuditQueries}, for the busiest requester, target and approver;
 * {@code ledger_report_<rows>_time} (s), the median of three {@code ledger report}s of the ledger's last
 * year (HTML, run in this JVM as the CLI runs it, the chain walked meanwhile); and
 * {@code ledger_append_<rows>} (ms), the median of 200 appends through {@link LedgerChain} as the
 * broker makes them, one transaction each over a pooled connection.
 *
 * <p>Alone: {@code mvn -B -DskipTests test-compile exec:exec -Dexec.executable=java
 * -Dexec.classpathScope=test -Dexec.args="-Duser.timezone=UTC -classpath %classpath
 * io.pgephemeral.bench.LedgerBench 1000 100000"}; add {@code -Dledger.bench.explain=true} before
 * {@code -classpath} for the plans ({@code EXPLAIN (ANALYZE, BUFFERS)}) of the audit queries, and
 * {@code -Dledger.bench.cli=true} to also time {@code pg-ephemeral ledger verify} and {@code ledger report}
 * in a JVM of their own with a 64 MB heap.
 */
public final class LedgerBench {

    /** Where a figure goes: the benchmark's results, or stdout when run alone. */
    @FunctionalInterface
    public interface Recorder {
        void record(String name, double value, String unit);
    }

    private static final int LIMIT = 200;
    private static final int QUERY_WARMUPS = 5;
    private static final int QUERY_RUNS = 15;
    private static final int VERIFY_RUNS = 3;
    private static final int APPENDS = 200;

    private LedgerBench() {
    }

    /** Fills a ledger of {@code rows} events, records the figures, and drops it again. */
    public static void measure(TestEnvironment env, int rows, Recorder record) throws Exception {
        String schema = "ledger_bench_" + rows;
        LedgerTable table = new LedgerTable(schema);
        try (Connection admin = env.admin(); Statement s = admin.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + Sql.ident(schema) + " CASCADE");
        }
        LedgerMigrations.migrate(env.adminUrl(), null, null, TestEnvironment.BOT, schema);
        try {
            long t0 = System.nanoTime();
            Filled filled = fill(env, table, rows);
            log("filled %s with %,d rows (%,d credentials, %,d open) in %.1f s", schema, rows, filled.credentials(),
                    filled.open(), (System.nanoTime() - t0) / 1e9);

            double seconds = verify(env, table, filled);
            record.record("ledger_verify_" + rows + "_rate", rows / seconds, "rows/s");
            record.record("ledger_verify_" + rows + "_time", seconds, "s");
            if (Boolean.getBoolean("ledger.bench.cli")) {
                verifyWithCli(table);
            }
            audit(env, table, filled, rows, record);
            record.record("ledger_report_" + rows + "_time", report(env, table, filled), "s");
            if (Boolean.getBoolean("ledger.bench.cli")) {
                reportWithCli(table, filled);
            }
            record.record("ledger_append_" + rows, appendMs(env, table), "ms");
        } finally {
            try (Connection admin = env.admin(); Statement s = admin.createStatement()) {
                s.execute("DROP SCHEMA " + Sql.ident(schema) + " CASCADE");
            }
        }
    }

    /** Runs {@code LedgerBench ROWS...} on its own: figures on stdout, progress on stderr. */
    public static void main(String[] args) {
        if (System.getProperty("test.pg.log_statement") == null) {
            System.setProperty("test.pg.log_statement", "none"); // measure the ledger, not the server's log
        }
        int status = 1;
        try {
            int[] sizes = args.length == 0 ? new int[] {1000} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
            TestEnvironment env = TestEnvironment.get();
            for (int rows : sizes) {
                measure(env, rows, (name, value, unit) ->
                        System.out.printf(Locale.ROOT, "%-30s %12.1f  %s%n", name, value, unit));
            }
            status = 0;
        } catch (Exception | AssertionError e) {
            System.err.println(Benchmark.failure("ledger benchmark", e));
        } finally {
            System.exit(status); // the embedded server and the fake Secrets Manager keep the JVM alive otherwise
        }
    }

    // ---- verify ----

    private static double verify(TestEnvironment env, LedgerTable table, Filled filled) throws SQLException {
        double[] times = new double[VERIFY_RUNS];
        for (int i = 0; i < VERIFY_RUNS; i++) {
            try (Connection c = asCli(env)) {
                long start = System.nanoTime();
                ChainVerifier.Result result = new ChainVerifier(table).verify(c, Map.of(), rows -> { });
                times[i] = (System.nanoTime() - start) / 1e9;
                if (!result.intact() || result.verified() != filled.rows() || result.head() == null
                        || !filled.head().equals(result.head().hash())) {
                    throw new IllegalStateException("verify did not find the chain written: " + result);
                }
            }
        }
        Arrays.sort(times);
        return times[VERIFY_RUNS / 2];
    }

    /** {@code pg-ephemeral ledger verify} in a JVM of its own with 64 MB of heap; prints what it says. */
    private static void verifyWithCli(LedgerTable table) throws Exception {
        io.pgephemeral.testing.Cli.Run run = io.pgephemeral.testing.Cli.run(Map.of(), List.of("-Xmx64m"),
                "ledger", "verify", "--schema", table.schema());
        log("CLI (-Xmx64m): exit %d, %s / %s", run.exit(), run.stdout().strip(),
                run.stderr().lines().reduce((a, b) -> b).orElse(""));
    }

    // ---- the access review ----

    private static final int REPORT_RUNS = 3;

    /**
     * The median of three {@code ledger report}s of the year before the ledger's end (all of a
     * ledger of a year or less), HTML, run in this JVM through the command line as people run it
     * (the chain walked on a second connection meanwhile): from the command's start to the file.
     */
    private static double report(TestEnvironment env, LedgerTable table, Filled filled) throws Exception {
        io.micronaut.context.ApplicationContext context = io.micronaut.context.ApplicationContext.builder()
                .properties(env.brokerProperties()).start();
        java.nio.file.Path out = java.nio.file.Files.createTempFile("ledger-report", ".html");
        try {
            double[] times = new double[REPORT_RUNS];
            for (int i = 0; i < REPORT_RUNS; i++) {
                long start = System.nanoTime();
                int exit = new picocli.CommandLine(io.pgephemeral.cli.Main.class,
                        new io.micronaut.configuration.picocli.MicronautFactory(context)).execute(reportArgs(table, filled, out));
                times[i] = (System.nanoTime() - start) / 1e9;
                if (exit != 0) {
                    throw new IllegalStateException("ledger report exited " + exit);
                }
            }
            log("report of a year: %,d bytes of HTML", java.nio.file.Files.size(out));
            Arrays.sort(times);
            return times[REPORT_RUNS / 2];
        } finally {
            context.close();
            java.nio.file.Files.deleteIfExists(out);
        }
    }

    private static String[] reportArgs(LedgerTable table, Filled filled, java.nio.file.Path out) {
        return new String[] {"ledger", "report", "--schema", table.schema(),
                "--since", filled.end().minus(365, ChronoUnit.DAYS).toString(), "--until", filled.end().plusSeconds(1).toString(),
                "--out", out.toString()};
    }

    /** {@code pg-ephemeral ledger report} in a JVM of its own with 64 MB of heap: a year in bounded memory. */
    private static void reportWithCli(LedgerTable table, Filled filled) throws Exception {
        java.nio.file.Path out = java.nio.file.Files.createTempFile("ledger-report", ".html");
        try {
            long start = System.nanoTime();
            io.pgephemeral.testing.Cli.Run run = io.pgephemeral.testing.Cli.run(Map.of(), List.of("-Xmx64m"),
                    reportArgs(table, filled, out));
            log("report CLI (-Xmx64m): exit %d in %.1f s (JVM start included), %s", run.exit(),
                    (System.nanoTime() - start) / 1e9, run.stderr().strip().replace('\n', ' '));
        } finally {
            java.nio.file.Files.deleteIfExists(out);
        }
    }

    // ---- appending ----

    /** The median time of one append through {@link LedgerChain}, as the bot over a pooled connection. */
    private static double appendMs(TestEnvironment env, LedgerTable table) throws SQLException {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(env.jdbcUrl());
        config.setUsername(TestEnvironment.BOT);
        config.setPassword(env.botPassword());
        config.setMaximumPoolSize(1);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            LedgerChain chain = new LedgerChain(pool, table);
            double[] ms = new double[APPENDS];
            for (int i = -APPENDS / 4; i < APPENDS; i++) { // the first quarter warms up
                Instant now = Instant.now();
                LedgerEntry e = new LedgerEntry(null, UUID.randomUUID(), "acme:run:bench:" + UUID.randomUUID(), 1,
                        LedgerEntry.REQUESTED, now, "bench@acme.example", "ops-lead@acme.example", "benchmark",
                        "readonly", "eph_bench_" + i, "pg-ephemeral/bench@acme.example/readonly",
                        now.plus(1, ChronoUnit.HOURS), "ops-lead@acme.example", null);
                long start = System.nanoTime();
                chain.append(e);
                if (i >= 0) {
                    ms[i] = (System.nanoTime() - start) / 1e6;
                }
            }
            Arrays.sort(ms);
            return ms[APPENDS / 2];
        }
    }

    // ---- the auditors' questions ----

    private static void audit(TestEnvironment env, LedgerTable table, Filled filled, int rows, Recorder record)
            throws SQLException {
        AuditQueries queries = new AuditQueries(table);
        Instant monthAgo = filled.end().minus(30, ChronoUnit.DAYS);
        String active = "SELECT * FROM " + Sql.ident(table.schema()) + ".audit_active";
        try (Connection c = asCli(env)) {
            if (Boolean.getBoolean("ledger.bench.explain")) {
                explain(c, table, filled, monthAgo);
            }
            int found = countRows(c, active);
            if (found != filled.open()) {
                throw new IllegalStateException("audit_active shows " + found + " credentials; " + filled.open() + " are open");
            }
            record.record("audit_active_" + rows, medianMs(() -> countRows(c, active)), "ms");
            record.record("audit_list_active_" + rows, medianMs(() -> list(queries, c,
                    new AuditQueries.Filter(null, null, null, null, null, null, true), filled.open())), "ms");
            record.record("audit_requester_" + rows, medianMs(() -> list(queries, c,
                    new AuditQueries.Filter(filled.requester(), null, null, null, null, null, false), 1)), "ms");
            record.record("audit_target_since_" + rows, medianMs(() -> list(queries, c,
                    new AuditQueries.Filter(null, filled.target(), null, null, monthAgo, null, false), 1)), "ms");
            record.record("audit_approver_" + rows, medianMs(() -> list(queries, c,
                    new AuditQueries.Filter(null, null, filled.approver(), null, null, null, false), 1)), "ms");
        }
    }

    private interface Query {
        int run() throws SQLException;
    }

    /** Lists through {@link AuditQueries}; something must come back when {@code exist} credentials match. */
    private static int list(AuditQueries queries, Connection c, AuditQueries.Filter filter, int exist)
            throws SQLException {
        int n = queries.credentials(c, filter, LIMIT).size();
        if (n == 0 && exist > 0) {
            throw new IllegalStateException("no credentials for " + filter);
        }
        return n;
    }

    private static double medianMs(Query query) throws SQLException {
        for (int i = 0; i < QUERY_WARMUPS; i++) {
            query.run();
        }
        double[] ms = new double[QUERY_RUNS];
        for (int i = 0; i < QUERY_RUNS; i++) {
            long start = System.nanoTime();
            query.run();
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return ms[QUERY_RUNS / 2];
    }

    private static int countRows(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            int n = 0;
            while (r.next()) {
                n++;
            }
            return n;
        }
    }

    /** The plans of the audit queries, with the SQL that {@link AuditQueries} sends for each filter. */
    private static void explain(Connection c, LedgerTable table, Filled filled, Instant since) throws SQLException {
        String credentials = "SELECT * FROM " + table.auditCredentials() + " WHERE true";
        String newest = " ORDER BY requested_at DESC, latest_seq DESC LIMIT " + LIMIT;
        Object[][] queries = {
                {"audit_active", "SELECT * FROM " + Sql.ident(table.schema()) + ".audit_active"},
                {"list --active", "SELECT * FROM " + table.auditActive() + " WHERE true" + newest},
                {"list --requester", credentials + " AND requester = ?" + newest, filled.requester()},
                {"list --target --since", credentials + " AND target = ? AND coalesce(ended_at, 'infinity') >= ?" + newest,
                        filled.target(), OffsetDateTime.ofInstant(since, ZoneOffset.UTC)},
                {"list --approver", credentials + " AND approver = ?" + newest, filled.approver()},
        };
        io.pgephemeral.ledger.AccessReviewQuery.Statement report = new io.pgephemeral.ledger.AccessReviewQuery(table)
                .period(new io.pgephemeral.ledger.ReviewSettings(filled.end().minus(365, ChronoUnit.DAYS),
                        filled.end().plusSeconds(1), null, null, java.time.Duration.ofHours(12), 0.9, 10,
                        io.pgephemeral.ledger.WorkingHours.parse("08:00-18:00", "MON-FRI", "UTC"), java.time.Duration.ZERO,
                        java.time.Duration.ZERO, 500, 1));
        List<Object[]> all = new java.util.ArrayList<>(List.of(queries));
        List<Object> reportQuery = new java.util.ArrayList<>(List.of("ledger report, a year", report.sql()));
        reportQuery.addAll(report.args());
        all.add(reportQuery.toArray());
        for (Object[] q : all) {
            try (PreparedStatement p = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + q[1])) {
                for (int i = 2; i < q.length; i++) {
                    p.setObject(i - 1, q[i]);
                }
                StringBuilder plan = new StringBuilder();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        plan.append("    ").append(r.getString(1)).append('\n');
                    }
                }
                log("EXPLAIN %s:%n%s", q[0], plan);
            }
        }
    }

    /**
     * A connection as {@code ledger} commands open one: the broker's ledger user, read-only. Nothing
     * is prepared on the server, so every query is planned for its own values, as the CLI's single
     * query per run is.
     */
    private static Connection asCli(TestEnvironment env) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", TestEnvironment.BOT);
        props.setProperty("password", env.botPassword());
        props.setProperty("ApplicationName", "pg-ephemeral ledger benchmark");
        props.setProperty("readOnly", "true");
        props.setProperty("prepareThreshold", "0");
        Connection c = DriverManager.getConnection(env.jdbcUrl(), props);
        c.setReadOnly(true);
        return c;
    }

    // ---- the ledger ----

    /** What was written: enough to check what verify and the views say. */
    private record Filled(long rows, int credentials, int open, String head, Instant end,
                          String requester, String target, String approver) {
    }

    private static Filled fill(TestEnvironment env, LedgerTable table, int rows) throws Exception {
        // The ledger ends now: a first pass finds when its last event falls, the second shifts time so.
        long lastAt = new Generator(rows, 0).run(null);
        long end = micros(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        Generator generator = new Generator(rows, end - lastAt);
        try (Connection c = env.admin()) {
            c.setAutoCommit(false);
            String columns = "seq, credential_id, run_id, attempt, event, recorded_at, requester, approver, reason,"
                    + " target, role_name, secret_id, valid_until, actor, detail, prev_hash, hash";
            CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY " + table.events() + " (" + columns + ") FROM STDIN");
            try {
                generator.run(copy);
                copy.endCopy();
            } finally {
                if (copy.isActive()) {
                    copy.cancelCopy();
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("SELECT setval(pg_get_serial_sequence(" + Sql.literal(table.events()) + ", 'seq'), " + rows + ")");
                // The test server commits asynchronously, and until the commit is on disk VACUUM may
                // not mark the rows committed, nor their pages all-visible.
                s.execute("SET LOCAL synchronous_commit = on");
            }
            c.commit();
            c.setAutoCommit(true);
            // As autovacuum would have, long since: statistics, and the visibility map that lets
            // index-only scans skip the heap.
            try (Statement s = c.createStatement()) {
                s.execute("VACUUM (ANALYZE) " + table.events());
            }
            log("%.0f%% of the table's pages are all-visible", 100 * allVisible(c, table));
        }
        return new Filled(rows, generator.credentials, generator.open.size(), generator.prev, instant(end),
                generator.requesters[0], generator.targets[0], generator.approvers[0]);
    }

    private static double allVisible(Connection c, LedgerTable table) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT relallvisible::float8 / greatest(relpages, 1) FROM pg_class WHERE oid = ?::regclass")) {
            p.setString(1, table.events());
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getDouble(1);
            }
        }
    }

    private static long micros(Instant at) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, at);
    }

    private static Instant instant(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    /** One credential's facts, as every one of its rows repeats them. */
    private record Credential(UUID id, String runId, int attempt, String requester, String approver, String reason,
                              String target, String role, String secret, long validUntil) {
    }

    /** An event due at {@code at} (microseconds, before the shift); {@code order} keeps ties stable. */
    private record Pending(long at, long order, Credential credential, String event, String actor, String detail) {
    }

    /**
     * Writes {@code rows} events in time order: a new credential every 90 s on average, each of
     * whose later events waits in a queue until its time comes.
     */
    private static final class Generator {

        private static final long SECOND = 1_000_000L;
        private static final String BROKER = "pg-ephemeral";
        private static final String[] TOPICS = {"investigating missing order totals", "quarterly report numbers",
                "customer escalation", "data fix approved in change request", "replica lag analysis",
                "on-call: slow checkout queries", "audit sample for finance", "migration dry run",
                "refund reconciliation", "debugging failed nightly job", "support ticket follow-up",
                "capacity planning query", "GDPR export request", "incident postmortem data"};
        private static final String[] TICKETS = {"INC", "OPS", "CHG", "SUP", "FIN"};
        private static final long[] DURATIONS_MIN = {15, 30, 60, 60, 60, 120, 120, 240, 480};

        private final int rows;
        private final long shift;
        private final SplittableRandom random = new SplittableRandom(20261123L);
        private final PriorityQueue<Pending> queue = new PriorityQueue<>(
                (a, b) -> a.at() != b.at() ? Long.compare(a.at(), b.at()) : Long.compare(a.order(), b.order()));
        final String[] requesters = new String[2500];
        final String[] targets = new String[36];
        final String[] approvers = new String[48];
        private final double[] requesterWeights;
        private final double[] targetWeights;
        private final double[] approverWeights;
        private long order;
        private long now;
        int credentials;
        final Set<UUID> open = new HashSet<>();
        String prev = ChainHash.GENESIS;

        Generator(int rows, long shift) {
            this.rows = rows;
            this.shift = shift;
            String[] surnames = {"doe", "smith", "garcia", "nguyen", "kim", "mueller", "rossi", "silva", "khan", "ito",
                    "novak", "larsen", "okafor", "cohen", "dubois", "kowalski"};
            for (int i = 0; i < requesters.length; i++) {
                requesters[i] = "user" + i + "." + surnames[i % surnames.length] + "@acme.example";
            }
            String[] known = {"readonly", "analytics", "orders_ro", "billing_ro", "support", "payments_ro",
                    "warehouse", "reporting"};
            for (int i = 0; i < targets.length; i++) {
                targets[i] = i < known.length ? known[i] : "service" + i + "_ro";
            }
            for (int i = 0; i < approvers.length; i++) {
                approvers[i] = (i % 3 == 0 ? "ops-lead" : i % 3 == 1 ? "eng-manager" : "dba") + i + "@acme.example";
            }
            // A few people, targets and approvers account for much of the traffic; most for little.
            requesterWeights = cumulative(requesters.length, 20);
            targetWeights = cumulative(targets.length, 1);
            approverWeights = cumulative(approvers.length, 2);
        }

        private static double[] cumulative(int n, int offset) {
            double[] c = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += 1.0 / (i + offset);
                c[i] = sum;
            }
            for (int i = 0; i < n; i++) {
                c[i] /= sum;
            }
            return c;
        }

        private String pick(String[] names, double[] weights) {
            int i = Arrays.binarySearch(weights, random.nextDouble());
            return names[Math.min(names.length - 1, i < 0 ? -i - 1 : i)];
        }

        private UUID uuid() {
            long hi = (random.nextLong() & ~0xf000L) | 0x4000L;
            long lo = (random.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
            return new UUID(hi, lo);
        }

        private String suffix() {
            String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
            char[] s = new char[10];
            for (int i = 0; i < s.length; i++) {
                s[i] = alphabet.charAt(random.nextInt(alphabet.length()));
            }
            return new String(s);
        }

        private void schedule(long at, Credential c, String event, String actor, String detail) {
            queue.add(new Pending(at, order++, c, event, actor, detail));
        }

        /**
         * Writes the rows to {@code copy}, or only finds when the last one falls if it is null.
         *
         * @return the time of the last row, before the shift
         */
        long run(CopyIn copy) throws SQLException {
            StringBuilder buffer = new StringBuilder(1 << 20);
            long written = 0;
            long last = 0;
            while (written < rows) {
                now += (long) (-Math.log(1 - random.nextDouble()) * 90 * SECOND);
                while (!queue.isEmpty() && queue.peek().at() <= now && written < rows) {
                    Pending p = queue.poll();
                    if (p.credential() == null) { // a retry: a new credential of the same run, requested now
                        request(p.at(), p.event(), Integer.parseInt(p.detail()), p.actor());
                        continue;
                    }
                    last = p.at();
                    written++;
                    if (copy != null) {
                        write(buffer, written, p);
                        if (buffer.length() > (1 << 20)) {
                            flush(copy, buffer);
                        }
                    }
                }
                if (written < rows) {
                    request(now, runId(), 1, pick(requesters, requesterWeights));
                }
            }
            if (copy != null) {
                flush(copy, buffer);
            }
            return last;
        }

        private String runId() {
            return "acme:run:postgres:2.0.0:" + uuid();
        }

        /** A new credential requested at {@code t}, and everything that will happen to it. */
        private void request(long t, String runId, int attempt, String requester) {
            credentials++;
            String target = pick(targets, targetWeights);
            String approver = pick(approvers, approverWeights);
            String reason = TICKETS[random.nextInt(TICKETS.length)] + "-" + (1000 + random.nextInt(90000)) + ": "
                    + TOPICS[random.nextInt(TOPICS.length)];
            String local = requester.substring(0, requester.indexOf('@')).replace('.', '_');
            long minutes = DURATIONS_MIN[random.nextInt(DURATIONS_MIN.length)];
            boolean capped = random.nextInt(12) == 0;
            String capNote = capped ? "duration capped from 12h to " + minutes / 60.0 + "h" : null;
            long validUntil = t + minutes * 60 * SECOND;
            Credential c = new Credential(uuid(), runId, attempt, requester, approver, reason, target,
                    "eph_" + local + "_" + suffix(), "pg-ephemeral/" + requester + "/" + target, validUntil);
            schedule(t, c, LedgerEntry.REQUESTED, approver, capNote);
            int fate = random.nextInt(10_000);
            if (fate < 2) { // never closed: its escalation died and no sweep caught it, or the sweep stopped
                if (fate == 0) {
                    schedule(t + 2 * SECOND, c, LedgerEntry.ISSUED, approver, capNote);
                }
                return;
            }
            if (fate < 300) { // failed; some failures leave a secret that a sweep removes later, some are retried
                long failedAt = t + (1 + random.nextInt(4)) * SECOND;
                schedule(failedAt, c, LedgerEntry.FAILED, BROKER, "could not create role: canceling statement due to lock timeout");
                if (random.nextInt(4) == 0) {
                    schedule(failedAt + 60 * SECOND, c, LedgerEntry.RECONCILED, BROKER,
                            "finished the clean-up of a failed escalation: secret deleted");
                }
                if (attempt < 3 && random.nextBoolean()) {
                    scheduleRetry(failedAt + 30 * SECOND, runId, attempt + 1, requester);
                }
                return;
            }
            long issuedAt = t + SECOND + random.nextInt(2 * (int) SECOND);
            schedule(issuedAt, c, LedgerEntry.ISSUED, approver, capNote);
            if (fate < 450) { // owns objects: disabled at expiry, later reconciled once an admin dropped it
                schedule(validUntil + 30 * SECOND, c, LedgerEntry.DISABLED, BROKER,
                        "expired; the role owns objects, so it was disabled instead of dropped");
                if (random.nextBoolean()) {
                    schedule(validUntil + (1 + random.nextInt(72)) * 3600 * SECOND, c, LedgerEntry.RECONCILED, BROKER,
                            "the role outlived its credential (disabled)");
                }
            } else if (fate < 2500) { // nobody ended it: the sweep did, within a minute of expiry
                schedule(validUntil + random.nextInt(60) * SECOND, c, LedgerEntry.EXPIRED, BROKER,
                        "expired: role dropped, 0 sessions terminated, secret deleted");
            } else { // ended by Sym's deescalate
                long at = issuedAt + (long) (random.nextDouble() * (validUntil - issuedAt));
                String by = random.nextInt(3) == 0 ? approver : requester;
                schedule(at, c, LedgerEntry.REVOKED, by, "role dropped, " + random.nextInt(3)
                        + " session(s) terminated, secret deleted");
                if (fate < 2550) {
                    schedule(at + 45 * SECOND, c, LedgerEntry.RECONCILED, BROKER,
                            "the role outlived its credential (revoked)");
                }
            }
        }

        /** A retry is a new credential of the same run, requested when its time comes (no credential yet). */
        private void scheduleRetry(long at, String runId, int attempt, String requester) {
            queue.add(new Pending(at, order++, null, runId, requester, Integer.toString(attempt)));
        }

        private void write(StringBuilder out, long seq, Pending p) {
            Credential c = p.credential();
            LedgerEntry e = new LedgerEntry(seq, c.id(), c.runId(), c.attempt(), p.event(), instant(p.at() + shift),
                    c.requester(), c.approver(), c.reason(), c.target(), c.role(), c.secret(),
                    instant(c.validUntil() + shift), p.actor(), p.detail());
            String hash = ChainHash.of(e, prev);
            if (LedgerEntry.REQUESTED.equals(e.event())) {
                open.add(c.id());
            } else if (!LedgerEntry.ISSUED.equals(e.event())) {
                open.remove(c.id());
            }
            out.append(seq).append('\t').append(c.id()).append('\t');
            text(out, c.runId());
            out.append('\t').append(c.attempt()).append('\t').append(e.event()).append('\t')
                    .append(e.recordedAt()).append('\t');
            text(out, c.requester());
            out.append('\t');
            text(out, c.approver());
            out.append('\t');
            text(out, c.reason());
            out.append('\t');
            text(out, c.target());
            out.append('\t');
            text(out, c.role());
            out.append('\t');
            text(out, c.secret());
            out.append('\t').append(e.validUntil()).append('\t');
            text(out, p.actor());
            out.append('\t');
            text(out, p.detail());
            out.append('\t').append(prev).append('\t').append(hash).append('\n');
            prev = hash;
        }

        /** A value in COPY's text format. */
        private static void text(StringBuilder out, String value) {
            if (value == null) {
                out.append("\\N");
                return;
            }
            for (int i = 0; i < value.length(); i++) {
                char ch = value.charAt(i);
                switch (ch) {
                    case '\\' -> out.append("\\\\");
                    case '\t' -> out.append("\\t");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    default -> out.append(ch);
                }
            }
        }

        private static void flush(CopyIn copy, StringBuilder buffer) throws SQLException {
            byte[] bytes = buffer.toString().getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(bytes, 0, bytes.length);
            buffer.setLength(0);
        }
    }

    private static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "ledger bench: " + format + "%n", args);
    }
}
