package io.pgephemeral.docs;

import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.database.Sql;
import io.pgephemeral.ledger.LedgerChain;
import io.pgephemeral.ledger.LedgerEntry;
import io.pgephemeral.ledger.LedgerMigrations;
import io.pgephemeral.ledger.LedgerTable;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The requesters' and auditors' guides' commands, each run exactly as the guide shows it, with
 * the settings a deployment would give it: by bash, with {@code pg-ephemeral} on the PATH (a
 * launcher of this build's classes), or, for the ledger commands that need no environment
 * variable of their own, in this JVM. The ledger they read is a database of its own holding the
 * guides' sample (jane's two credentials and sam's one, with the ids and times the guides show),
 * so the ids and the chain head in the commands are real. DocumentedCommandsTest checks that each
 * string here is one a guide shows, and that every such command is run here, by another test or
 * by CI. Each run's output is left in {@code target/guide-commands/}, to refresh a guide's
 * transcript from.
 */
class GuideCommandsTest {

    static final String LIST_REQUESTER = "pg-ephemeral ledger list --requester jane.doe@acme.example";
    static final String LIST_APPROVER = "pg-ephemeral ledger list --approver dana.ops@acme.example --since 2026-01-01";
    static final String LIST_AS_AUDITOR = "pg-ephemeral ledger list --user kim_auditor --target readonly";
    static final String LIST_ACTIVE = "pg-ephemeral ledger list --active";
    static final String SHOW = "pg-ephemeral ledger show 2efef069-39ff-4dca-a9a8-c89b5925c0e6";
    static final String EXPORT = "pg-ephemeral ledger export --format ndjson --since 2000-01-01";
    static final String VERIFY = "pg-ephemeral ledger verify";
    static final String VERIFY_COPY = "pg-ephemeral ledger verify --schema ledger_copy_806c7259";
    static final String VERIFY_ANCHOR =
            "pg-ephemeral ledger verify --anchor 3:564911e2dd3737370fa9cb6fbe581d25a2714f1bde0c1cbd2b247e00baacb5b9";
    static final String REPORT =
            "pg-ephemeral ledger report --user kim_auditor --since 2026-07-01 --until 2026-10-01 --out q3-review.html";
    static final String PSQL_CREDENTIALS = "psql -c \"SELECT requester, target, approver, reason, requested_at, valid_until, state, ended_at, state_actor AS ended_by FROM ephemeral.audit_credentials WHERE requester = 'jane.doe@acme.example' ORDER BY requested_at\"";
    static final String PSQL_ACTIVE =
            "psql -c \"SELECT requester, target, role_name, valid_until, overdue FROM ephemeral.audit_active\"";
    static final String PSQL_APPROVERS = "psql -c \"SELECT * FROM ephemeral.audit_approvers ORDER BY approver\"";
    static final String PSQL_EVENTS = "psql -c \"SELECT count(*) FROM ephemeral.ledger_event\"";

    static final String CREDS_EXEC = "pg-ephemeral creds analytics --requester jane.doe@acme.example --exec -- psql -c 'SELECT current_user, count(*) AS orders FROM orders'";
    static final String CREDS_URI = "pg-ephemeral creds analytics --requester jane.doe@acme.example";
    static final String CREDS_ENV = "pg-ephemeral creds analytics --requester jane.doe@acme.example --format env";
    static final String CREDS_PGPASS = "pg-ephemeral creds analytics --requester jane.doe@acme.example --format pgpass";
    static final String CREDS_NONE = "pg-ephemeral creds readonly --requester jane.doe@acme.example";

    private static final TestEnvironment env = TestEnvironment.get();
    private static final String JANE = "jane.doe@acme.example";
    private static Path bin;
    private static Path work;
    private static String database;
    private static String url;
    private static String auditorPassword;

    record Run(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    @BeforeAll
    static void theGuidesSample() throws Exception {
        Path captures = Path.of("target", "guide-commands");
        if (Files.isDirectory(captures)) {
            try (var old = Files.list(captures)) {
                for (Path p : old.toList()) {
                    Files.delete(p);
                }
            }
        }
        bin = Files.createTempDirectory("guide-bin");
        work = Files.createTempDirectory("guide-work");
        String classPath = java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty()).collect(Collectors.joining(File.pathSeparator));
        Path launcher = bin.resolve("pg-ephemeral");
        Files.writeString(launcher, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
                + "' -cp '" + classPath + "' io.pgephemeral.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));

        database = "guide_" + UUID.randomUUID().toString().substring(0, 8);
        Db.execute("CREATE DATABASE " + database);
        url = env.jdbcUrl().replaceAll("/[^/]*$", "/" + database);
        LedgerMigrations.migrate(url + "?user=postgres", "postgres", "", TestEnvironment.BOT);
        LedgerMigrations.migrate(url + "?user=postgres", "postgres", "", TestEnvironment.BOT, "ledger_copy_806c7259");
        auditorPassword = new PasswordGenerator().generate(32);
        try (Connection c = java.sql.DriverManager.getConnection(url + "?user=postgres");
             Statement s = c.createStatement()) {
            // The auditors' guide's own two lines, with a real password.
            s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kim_auditor') THEN"
                    + " CREATE ROLE kim_auditor LOGIN; END IF; END $$");
            s.execute("ALTER ROLE kim_auditor PASSWORD " + Sql.literal(ScramVerifier.of(auditorPassword,
                    new PasswordGenerator().randomBytes(16), ScramVerifier.DEFAULT_ITERATIONS)));
            s.execute("GRANT ephemeral_auditor TO kim_auditor");
        }
        PGSimpleDataSource asBot = new PGSimpleDataSource();
        asBot.setUrl(url);
        asBot.setUser(TestEnvironment.BOT);
        asBot.setPassword(env.botPassword());
        LedgerChain ledger = new LedgerChain(asBot, new LedgerTable(LedgerMigrations.SCHEMA));
        for (LedgerEntry e : sample()) {
            ledger.append(e);
        }
        LedgerChain copy = new LedgerChain(asBot, new LedgerTable("ledger_copy_806c7259"));
        for (LedgerEntry e : sample()) {
            copy.append(e);
        }
    }

    /** The guides' sample: eight events of three credentials, as the broker records them. */
    static List<LedgerEntry> sample() {
        UUID janeReadonly = UUID.fromString("2efef069-39ff-4dca-a9a8-c89b5925c0e6");
        UUID janeAnalytics = UUID.fromString("efca3381-45f6-4a61-816a-a519fe1e185e");
        UUID sam = UUID.fromString("0f3bb5d3-374b-4e31-b2c6-2dd369ee3cf0");
        String run1 = "acme:run:postgres:2.0.0:917a7f99-fc65-4f79-ade8-c4beca8a6462";
        String run2 = "acme:run:postgres:2.0.0:3d1f2e40-8c55-4a0e-9d7b-6f1c2a9e0b31";
        String run3 = "acme:run:postgres:2.0.0:b551aadb-2eb0-4acc-bee7-36cdf77fada7";
        String lead = "ops-lead@acme.example";
        String reason1 = "Investigating INC-4711: orders missing totals";
        String secret1 = "pg-ephemeral/jane.doe@acme.example/readonly";
        Instant t1 = Instant.parse("2026-11-23T13:56:41Z");
        Instant t2 = Instant.parse("2026-11-23T13:56:42Z");
        return List.of(
                entry(janeReadonly, run1, LedgerEntry.REQUESTED, t1, JANE, lead, reason1, "readonly",
                        "eph_jane_doe_74w5x65q4n", secret1, t1.plusSeconds(3600), lead, null),
                entry(janeReadonly, run1, LedgerEntry.ISSUED, t1, JANE, lead, reason1, "readonly",
                        "eph_jane_doe_74w5x65q4n", secret1, t1.plusSeconds(3600), lead, null),
                entry(janeReadonly, run1, LedgerEntry.REVOKED, t2, JANE, lead, reason1, "readonly",
                        "eph_jane_doe_74w5x65q4n", secret1, t1.plusSeconds(3600), lead,
                        "scheduled end: role dropped, 0 session(s) terminated, secret deleted"),
                entry(janeAnalytics, run2, LedgerEntry.REQUESTED, t2, JANE, lead, "Quarterly report numbers",
                        "analytics", "eph_jane_doe_fcclzyy63h", "pg-ephemeral/jane.doe@acme.example/analytics",
                        t2.plusSeconds(1800), lead, null),
                entry(janeAnalytics, run2, LedgerEntry.ISSUED, t2, JANE, lead, "Quarterly report numbers",
                        "analytics", "eph_jane_doe_fcclzyy63h", "pg-ephemeral/jane.doe@acme.example/analytics",
                        t2.plusSeconds(1800), lead, null),
                entry(sam, run3, LedgerEntry.REQUESTED, t2, "sam.lee@acme.example", "dana.ops@acme.example",
                        "Check a customer's order", "readonly", "eph_sam_lee_q2mv8c1xzd",
                        "pg-ephemeral/sam.lee@acme.example/readonly", t2.plusSeconds(900), "dana.ops@acme.example", null),
                entry(sam, run3, LedgerEntry.ISSUED, t2, "sam.lee@acme.example", "dana.ops@acme.example",
                        "Check a customer's order", "readonly", "eph_sam_lee_q2mv8c1xzd",
                        "pg-ephemeral/sam.lee@acme.example/readonly", t2.plusSeconds(900), "dana.ops@acme.example", null),
                entry(sam, run3, LedgerEntry.REVOKED, t2, "sam.lee@acme.example", "dana.ops@acme.example",
                        "Check a customer's order", "readonly", "eph_sam_lee_q2mv8c1xzd",
                        "pg-ephemeral/sam.lee@acme.example/readonly", t2.plusSeconds(900), lead,
                        "manual end: role dropped, 0 session(s) terminated, secret deleted"));
    }

    private static LedgerEntry entry(UUID credential, String run, String event, Instant at, String requester,
                                     String approver, String reason, String target, String role, String secret,
                                     Instant validUntil, String actor, String detail) {
        return new LedgerEntry(null, credential, run, 1, event, at, requester, approver, reason, target, role,
                secret, validUntil, actor, detail);
    }

    @AfterAll
    static void dropTheSample() throws Exception {
        Db.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        for (Path dir : List.of(bin, work)) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void theAuditorsLedgerCommandsAnswerFromTheLedger() throws Exception {
        Run list = run(LIST_REQUESTER, Map.of());
        assertEquals(0, list.exit(), list.toString());
        assertTrue(list.stdout().contains("2efef069-39ff-4dca-a9a8-c89b5925c0e6")
                && list.stdout().contains("efca3381-45f6-4a61-816a-a519fe1e185e"), list.toString());

        Run approver = run(LIST_APPROVER, Map.of());
        assertEquals(0, approver.exit(), approver.toString());
        assertEquals(2, approver.stdout().lines().count(), "the header and sam's credential: " + approver);

        Run asAuditor = run(LIST_AS_AUDITOR, Map.of("PGPASSWORD", auditorPassword));
        assertEquals(0, asAuditor.exit(), asAuditor.toString());
        assertEquals(3, asAuditor.stdout().lines().count(), "the header and two readonly credentials: " + asAuditor);

        Run active = run(LIST_ACTIVE, Map.of());
        assertEquals(0, active.exit(), active.toString());
        assertTrue(active.stdout().contains("efca3381-45f6-4a61-816a-a519fe1e185e")
                && !active.stdout().contains("2efef069"), active.toString());

        Run show = run(SHOW, Map.of());
        assertEquals(0, show.exit(), show.toString());
        assertTrue(show.stdout().contains("revoked since 2026-11-23 13:56:42Z by ops-lead@acme.example"), show.toString());

        Run export = run(EXPORT, Map.of());
        assertEquals(0, export.exit(), export.toString());
        assertEquals(8, export.stdout().lines().count(), export.toString());
        assertTrue(export.stderr().contains("exported 8 events"), export.toString());

        Run verify = run(VERIFY, Map.of());
        assertEquals(0, verify.exit(), verify.toString());
        assertTrue(verify.stdout().startsWith("ledger intact: 8 chained rows verified"), verify.toString());

        Run anchored = run(VERIFY_ANCHOR, Map.of());
        assertEquals(0, anchored.exit(), "the guide's anchor is the sample's seq 3, "
                + seq3Hash() + ": " + anchored);
    }

    /** The guide's two breaks of a copy: a field changed, then a row deleted. */
    @Test
    void verifyFindsTheGuidesTwoBreaks() throws Exception {
        String events = "ledger_copy_806c7259.ledger_event";
        asSuperuser("ALTER TABLE " + events + " DISABLE TRIGGER USER",
                "UPDATE " + events + " SET reason = 'Quarterly report' WHERE seq = 5",
                "ALTER TABLE " + events + " ENABLE TRIGGER USER");
        Run changed = run(VERIFY_COPY, Map.of());
        assertEquals(1, changed.exit(), changed.toString());
        assertTrue(changed.stdout().contains("ledger BROKEN at seq 5: its content does not match its hash"),
                changed.toString());

        asSuperuser("ALTER TABLE " + events + " DISABLE TRIGGER USER",
                "UPDATE " + events + " SET reason = 'Quarterly report numbers' WHERE seq = 5",
                "DELETE FROM " + events + " WHERE seq = 4",
                "ALTER TABLE " + events + " ENABLE TRIGGER USER");
        Run deleted = run(VERIFY_COPY, Map.of());
        assertEquals(1, deleted.exit(), deleted.toString());
        assertTrue(deleted.stdout().contains("ledger BROKEN at seq 5: its prev_hash"), deleted.toString());
    }

    @Test
    void theAccessReviewIsWrittenAsTheGuideSays() throws Exception {
        Run report = run(REPORT, Map.of("PGPASSWORD", auditorPassword));
        assertEquals(0, report.exit(), report.toString());
        String html = Files.readString(work.resolve("q3-review.html"));
        assertTrue(html.startsWith("<!DOCTYPE html>") || html.startsWith("<!doctype html>"), html.substring(0, 80));
    }

    /** Tagged psql: README's test command needs nothing but JDK 17 and Maven; CI installs psql. */
    @Test
    @Tag("psql")
    void theAuditorsSqlRunsAsTheAuditorAndTheTableStaysClosed() throws Exception {
        URI target = URI.create(url.substring("jdbc:".length()));
        Map<String, String> libpq = Map.of("PGHOST", target.getHost(), "PGPORT", String.valueOf(target.getPort()),
                "PGDATABASE", database, "PGUSER", "kim_auditor", "PGPASSWORD", auditorPassword);
        Run credentials = run(PSQL_CREDENTIALS, libpq);
        assertEquals(0, credentials.exit(), credentials.toString());
        assertTrue(credentials.stdout().contains("(2 rows)"), credentials.toString());
        Run active = run(PSQL_ACTIVE, libpq);
        assertEquals(0, active.exit(), active.toString());
        assertTrue(active.stdout().contains("eph_jane_doe_fcclzyy63h"), active.toString());
        Run approvers = run(PSQL_APPROVERS, libpq);
        assertEquals(0, approvers.exit(), approvers.toString());
        assertTrue(approvers.stdout().contains("{analytics,readonly}"), approvers.toString());
        Run events = run(PSQL_EVENTS, libpq);
        assertEquals(1, events.exit(), events.toString());
        assertTrue(events.stderr().contains("permission denied for table ledger_event"), events.toString());
    }

    /** The requesters' guide, after Sym approved jane's request for analytics (on the shared database). */
    @Test
    void theRequestersCommandsGiveJaneHerCredential() throws Exception {
        withJanesAnalyticsCredential(role -> {
            Run uri = run(CREDS_URI, Map.of());
            assertEquals(0, uri.exit(), uri.toString());
            assertTrue(uri.stdout().startsWith("postgresql://" + role + ":"), "a URI for " + role);

            Run shell = run(CREDS_ENV, Map.of());
            assertEquals(0, shell.exit(), shell.toString());
            assertTrue(shell.stdout().contains("export PGUSER='" + role + "'"), "env for " + role);

            Run pgpass = run(CREDS_PGPASS, Map.of());
            assertEquals(0, pgpass.exit(), pgpass.toString());
            assertTrue(pgpass.stdout().contains(":" + role + ":"), "a pgpass line for " + role);
        });
        Run none = run(CREDS_NONE, Map.of());
        assertEquals(1, none.exit(), none.toString());
        assertTrue(none.stderr().startsWith("creds: no credential for jane.doe@acme.example on target 'readonly'"),
                none.toString());
    }

    /** {@code --exec psql}, as the requesters' guide captured it; tagged psql, like the auditors' SQL. */
    @Test
    @Tag("psql")
    void theRequestersPsqlSessionIsHers() throws Exception {
        withJanesAnalyticsCredential(role -> {
            Run exec = run(CREDS_EXEC, Map.of());
            assertEquals(0, exec.exit(), exec.toString());
            assertTrue(exec.stdout().contains(role), exec.toString());
            assertTrue(exec.stderr().contains("credential for 'analytics' as " + role + ", valid until "),
                    exec.toString());
        });
    }

    interface WithRole {
        void run(String role) throws Exception;
    }

    /** Sym approves jane's request for analytics; access ends again after {@code body}. */
    private static void withJanesAnalyticsCredential(WithRole body) throws Exception {
        String runId = Events.newRunId();
        try (Broker broker = new Broker()) {
            SymResponse issued = broker.handle(Events.escalate(runId, JANE, "analytics", 1800));
            assertEquals(List.of(), issued.errors());
            try {
                body.run((String) issued.body().get("role"));
            } finally {
                assertEquals(List.of(), broker.handle(Events.deescalate(runId, JANE, "analytics")).errors());
            }
        }
    }

    /** Leaves what the command printed in target/guide-commands/, to refresh a transcript from. */
    private static Run capture(String command, Run run) throws java.io.IOException {
        Path captures = Files.createDirectories(Path.of("target", "guide-commands"));
        Files.writeString(captures.resolve(Integer.toHexString(command.hashCode()) + ".txt"),
                "$ " + command + "\n" + run + "\n", java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        return run;
    }

    private static String seq3Hash() throws Exception {
        try (Connection c = java.sql.DriverManager.getConnection(url + "?user=postgres");
             Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT hash FROM ephemeral.ledger_event WHERE seq = 3")) {
            return r.next() ? r.getString(1) : "(no seq 3)";
        }
    }

    private static void asSuperuser(String... statements) throws Exception {
        try (Connection c = java.sql.DriverManager.getConnection(url + "?user=postgres");
             Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    /**
     * The command exactly as written. A {@code pg-ephemeral} command that needs no environment
     * variable of its own runs in this JVM ({@link Cli#inProcess}: picocli and Micronaut as
     * {@code Main} sets them up), its words split as the shell splits them, which spares a JVM
     * start per command; every other command runs {@link #byBash by bash}.
     */
    static Run run(String command, Map<String, String> extra) throws Exception {
        // export streams to the process's own standard output, which the in-process capture cannot see.
        if (!command.startsWith("pg-ephemeral ") || command.startsWith("pg-ephemeral creds")
                || command.startsWith("pg-ephemeral ledger export") || !extra.isEmpty()) {
            return byBash(command, extra);
        }
        List<String> words = words(command);
        Cli.Run cli = Cli.inProcess(Map.of("broker.db-url", url),
                words.subList(1, words.size()).toArray(String[]::new));
        return capture(command, new Run(cli.exit(), cli.stdout(), cli.stderr()));
    }

    /** Words as the shell splits them: blanks separate, single and double quotes group. */
    static List<String> words(String command) {
        List<String> words = new java.util.ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (char c : command.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                word = word == null ? new StringBuilder() : word;
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                word = word == null ? new StringBuilder() : word;
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    /**
     * The command line exactly as written, by bash in an empty working directory, with the
     * deployment's settings (the guide's sample ledger database as BROKER_DB_URL) and nothing
     * inherited from the test's own environment.
     */
    static Run byBash(String command, Map<String, String> extra) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", command).directory(work.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("BROKER_") || k.startsWith("AWS_") || k.startsWith("PG"));
        e.put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
        boolean requester = command.startsWith("pg-ephemeral creds");
        e.put("BROKER_DB_URL", requester ? env.jdbcUrl() : url);
        e.put("BROKER_DB_USER", TestEnvironment.BOT);
        e.put("BROKER_DB_PASSWORD", env.botPassword());
        e.put("AWS_REGION", FakeSecretsManager.REGION);
        e.put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        e.put("AWS_SECRET_ACCESS_KEY", "example");
        e.put("AWS_ENDPOINT_URL_SECRETS_MANAGER", env.secretsManager().endpoint().toString());
        e.putAll(new HashMap<>(extra));
        Path out = Files.createTempFile("guide", ".out");
        Path err = Files.createTempFile("guide", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "finished: " + command);
            return capture(command, new Run(p.exitValue(), Files.readString(out), Files.readString(err)));
        } finally {
            Files.delete(out);
            Files.delete(err);
        }
    }
}
