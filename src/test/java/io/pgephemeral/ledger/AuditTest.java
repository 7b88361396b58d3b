package io.pgephemeral.ledger;

import com.fasterxml.jackson.core.type.TypeReference;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.database.Sql;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.LedgerCopy;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What auditors see: the views, the auditor role's limits, and the ledger commands' output. */
class AuditTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static Broker broker;
    private static String requester;
    private static String endedCredential;
    private static String activeCredential;

    /** One requester with one ended and one active credential, through the real broker. */
    @BeforeAll
    static void twoCredentials() {
        broker = new Broker();
        requester = "audited." + UUID.randomUUID().toString().substring(0, 6) + "@acme.example";
        String ended = Events.newRunId();
        endedCredential = credentialOf(broker.handle(Events.escalate(ended, requester, "readonly", 600)));
        assertEquals(List.of(), broker.handle(Events.deescalate(ended, requester, "readonly")).errors());
        activeCredential = credentialOf(broker.handle(Events.escalate(Events.newRunId(), requester, "analytics", 900)));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static String credentialOf(SymResponse response) {
        assertEquals(List.of(), response.errors());
        return response.body().get("credential_id").toString();
    }

    @Test
    void theCredentialViewAnswersWhoHadWhatApprovedByWhomAndWasItRemoved() {
        List<Map<String, Object>> rows = Db.query("SELECT credential_id::text AS id, target, approver, reason, state,"
                + " active, ended_at IS NOT NULL AS ended, issued_at IS NOT NULL AS issued"
                + " FROM ephemeral.audit_credentials WHERE requester = ? ORDER BY requested_at, latest_seq", requester);
        assertEquals(2, rows.size(), rows.toString());
        Map<String, Object> ended = rows.stream().filter(r -> r.get("id").equals(endedCredential)).findFirst().orElseThrow();
        assertEquals("revoked", ended.get("state"));
        assertEquals(false, ended.get("active"));
        assertEquals(true, ended.get("ended"));
        assertEquals(true, ended.get("issued"));
        assertEquals("ops-lead@acme.example", ended.get("approver"));
        List<Map<String, Object>> active = Db.query("SELECT credential_id::text AS id, overdue FROM ephemeral.audit_active"
                + " WHERE requester = ?", requester);
        assertEquals(1, active.size());
        assertEquals(activeCredential, active.get(0).get("id"));
        assertEquals(false, active.get(0).get("overdue"));
        assertEquals(2L, Db.value("SELECT credentials FROM ephemeral.audit_requesters WHERE requester = ?", requester));
    }

    @Test
    void theAuditorRoleReadsTheViewsAndNothingElse() throws Exception {
        String auditor = "auditor_" + UUID.randomUUID().toString().substring(0, 6);
        String password = new PasswordGenerator().generate(24);
        Db.execute("CREATE ROLE " + Sql.ident(auditor) + " LOGIN PASSWORD " + Sql.literal(ScramVerifier.of(password,
                new PasswordGenerator().randomBytes(16), ScramVerifier.DEFAULT_ITERATIONS))
                + " IN ROLE ephemeral_auditor");
        try (Connection c = env.login(auditor, password); Statement s = c.createStatement()) {
            for (String view : List.of("audit_events", "audit_credentials", "audit_active", "audit_requesters",
                    "audit_targets", "audit_approvers")) {
                s.executeQuery("SELECT * FROM ephemeral." + view + " LIMIT 1").close();
            }
            for (String forbidden : List.of(
                    "SELECT * FROM ephemeral.ledger_event LIMIT 1",
                    "SELECT * FROM ephemeral.flyway_schema_history LIMIT 1",
                    "INSERT INTO ephemeral.audit_events (credential_id, run_id, attempt, event, recorded_at, requester,"
                            + " target, role_name, valid_until) VALUES (gen_random_uuid(), 'r', 1, 'issued', now(), 'x',"
                            + " 't', 'r', now())",
                    "UPDATE ephemeral.audit_events SET reason = 'x'",
                    "DELETE FROM ephemeral.audit_events",
                    "SELECT * FROM ephemeral.ledger_open_credential LIMIT 1",
                    "DELETE FROM ephemeral.ledger_open_credential",
                    "INSERT INTO ephemeral.ledger_event (credential_id) VALUES (gen_random_uuid())",
                    "CREATE TABLE ephemeral.mine (id int)")) {
                SQLException e = assertThrows(SQLException.class, () -> s.execute(forbidden), forbidden);
                assertEquals("42501", e.getSQLState(), forbidden + ": " + e.getMessage());
            }
        }
        Cli.Run run = Cli.run(Map.of("PGPASSWORD", password), "ledger", "list", "--user", auditor,
                "--requester", requester);
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.stdout().contains(endedCredential) && run.stdout().contains(activeCredential), run.toString());
        // verify reads audit_events with COPY (SELECT ...) TO STDOUT, which the view's grant allows.
        Cli.Run verify = Cli.run(Map.of("PGPASSWORD", password), "ledger", "verify", "--user", auditor);
        assertEquals(0, verify.exit(), verify.toString());
        assertTrue(verify.stdout().startsWith("ledger intact: "), verify.toString());
        Db.execute("DROP ROLE " + Sql.ident(auditor));
    }

    @Test
    void listFiltersAndAlignsItsTable() throws Exception {
        Cli.Run all = Cli.run("ledger", "list", "--requester", requester);
        assertEquals(0, all.exit(), all.toString());
        List<String> lines = all.stdout().lines().toList();
        assertEquals(3, lines.size(), all.stdout());
        assertTrue(lines.get(0).startsWith("CREDENTIAL "), lines.get(0));
        int stateColumn = lines.get(0).indexOf("STATE");
        assertTrue(lines.get(1).startsWith("issued", stateColumn), all.stdout());
        assertTrue(lines.get(2).startsWith("revoked", stateColumn), all.stdout());

        Cli.Run active = Cli.run("ledger", "list", "--requester", requester, "--active");
        assertTrue(active.stdout().contains(activeCredential) && !active.stdout().contains(endedCredential), active.toString());
        Cli.Run revoked = Cli.run("ledger", "list", "--requester", requester, "--state", "revoked", "--target", "readonly",
                "--approver", "ops-lead@acme.example", "--since", "2020-01-01", "--until", "2100-01-01T00:00:00Z");
        assertTrue(revoked.stdout().contains(endedCredential) && !revoked.stdout().contains(activeCredential), revoked.toString());
        Cli.Run future = Cli.run("ledger", "list", "--requester", requester, "--since", "2100-01-01", "--state", "revoked");
        assertEquals("no credentials match\n", future.stdout(), future.toString());
    }

    @Test
    void showTellsTheWholeStoryOfOneCredential() throws Exception {
        Cli.Run run = Cli.run("ledger", "show", endedCredential);
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.stdout().contains("requester    " + requester), run.stdout());
        assertTrue(run.stdout().contains("approver     ops-lead@acme.example"), run.stdout());
        List<Map<String, Object>> events = Db.query("SELECT seq, event, hash FROM ephemeral.ledger_event"
                + " WHERE credential_id = ?::uuid ORDER BY seq", endedCredential);
        assertEquals(List.of("requested", "issued", "revoked"), events.stream().map(e -> e.get("event")).toList());
        for (Map<String, Object> e : events) {
            assertTrue(run.stdout().contains((String) e.get("hash")), run.stdout());
        }
        Cli.Run missing = Cli.run("ledger", "show", UUID.randomUUID().toString());
        assertEquals(1, missing.exit(), missing.toString());
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws Exception {
        for (List<String> args : List.of(
                List.of("ledger", "list", "--state", "bogus"),
                List.of("ledger", "list", "--since", "yesterday"),
                List.of("ledger", "show", "'; DROP TABLE x; --"),
                List.of("ledger", "export", "--format", "xml"),
                List.of("ledger", "verify", "--anchor", "12"),
                List.of("ledger", "verify", "--schema", "no_such_schema"))) {
            Cli.Run run = Cli.run(args.toArray(String[]::new));
            assertEquals(2, run.exit(), args + ": " + run);
            assertEquals("", run.stdout(), args + ": " + run);
            assertEquals(1, run.stderr().lines().count(), args + ": " + run);
            assertTrue(run.stderr().startsWith("ledger " + args.get(1) + ": "), args + ": " + run);
        }
    }

    @Test
    void exportFormatsAreExact() throws Exception {
        try (LedgerCopy copy = new LedgerCopy()) {
            LedgerEntry tricky = LedgerCopy.entry(1);
            tricky = new LedgerEntry(null, tricky.credentialId(), tricky.runId(), 1, "requested", tricky.recordedAt(),
                    "zoë@acme.example", null, "comma, \"quote\"\nnew line\ttab \u0001 ünïcödé", "readonly",
                    tricky.roleName(), null, tricky.validUntil(), null, "");
            List<LedgerEntry> written = List.of(copy.append(LedgerCopy.entry(0)), copy.append(tricky));
            List<Map<String, Object>> expected = written.stream().map(LedgerExport::row).toList();

            Cli.Run ndjson = Cli.run("ledger", "export", "--format", "ndjson", "--schema", copy.schema());
            assertEquals(0, ndjson.exit(), ndjson.toString());
            List<String> lines = ndjson.stdout().lines().toList();
            assertEquals(2, lines.size());
            for (int i = 0; i < 2; i++) {
                Map<String, Object> parsed = env.json().readValue(lines.get(i), TestEnvironment.MAP);
                assertEquals(LedgerExport.COLUMNS, List.copyOf(parsed.keySet()), "every column, in order, nulls too");
                assertEquals(expected.get(i).toString(), normalised(parsed).toString());
            }
            Cli.Run json = Cli.run("ledger", "export", "--format", "json", "--schema", copy.schema());
            List<Map<String, Object>> array = env.json().readValue(json.stdout(),
                    new TypeReference<List<Map<String, Object>>>() { });
            assertEquals(expected.toString(), array.stream().map(AuditTest::normalised).toList().toString());

            Cli.Run csv = Cli.run("ledger", "export", "--format", "csv", "--schema", copy.schema());
            assertTrue(csv.stdout().startsWith(String.join(",", LedgerExport.COLUMNS) + "\r\n"), csv.stdout());
            assertTrue(csv.stdout().contains(",\"comma, \"\"quote\"\"\nnew line\ttab \u0001 ünïcödé\",readonly,"),
                    csv.stdout());
            // NULL approver is an empty field; the empty detail is "" and stays distinct from it.
            assertTrue(csv.stdout().contains(",zoë@acme.example,,\"comma"), csv.stdout());
            assertTrue(csv.stdout().contains(",\"\"," + written.get(1).prevHash()), csv.stdout());
            assertEquals(3, csv.stdout().split("\r\n").length);
        }
    }

    /**
     * audit_active finds open credentials through a set its trigger keeps (V4). Whatever way rows
     * arrive, it must list exactly the credentials with a 'requested' and no ending event, which is
     * what audit_credentials calls active: one row per statement as the broker appends, several in
     * one statement as a bulk load does, a credential ended by 'reconciled' alone, and a late
     * 'issued' after the close.
     */
    @Test
    void activeCredentialsAreThoseWithoutAnEndingEventHoweverTheRowsArrive() throws Exception {
        try (LedgerCopy copy = new LedgerCopy()) {
            Instant t = Instant.now();
            LedgerEntry requestedOnly = copy.append(LedgerCopy.entry(1));
            LedgerEntry issued = copy.append(LedgerCopy.entry(2));
            copy.append(issued.next(LedgerEntry.ISSUED, t, null, null));
            LedgerEntry revoked = copy.append(LedgerCopy.entry(3));
            copy.append(revoked.next(LedgerEntry.ISSUED, t, null, null));
            copy.append(revoked.next(LedgerEntry.REVOKED, t, null, null));
            LedgerEntry failed = copy.append(LedgerCopy.entry(4));
            copy.append(failed.next(LedgerEntry.FAILED, t, null, null));
            copy.append(failed.next(LedgerEntry.RECONCILED, t, null, null));
            LedgerEntry reconciled = copy.append(LedgerCopy.entry(5));
            copy.append(reconciled.next(LedgerEntry.RECONCILED, t, null, null));
            LedgerEntry lateIssue = copy.append(LedgerCopy.entry(6));
            copy.append(lateIssue.next(LedgerEntry.REVOKED, t, null, null));
            copy.append(lateIssue.next(LedgerEntry.ISSUED, t, null, null));
            assertEquals(Set.of(requestedOnly.credentialId(), issued.credentialId()), active(copy));

            // One statement: a credential requested and ended, one only requested, and the end of
            // the first one above. (The hashes are made up: this is about the views, not the chain.)
            UUID bulkEnded = UUID.randomUUID();
            UUID bulkOpen = UUID.randomUUID();
            String row = "(?::uuid, 'bulk-run-' || ?, 1, ?, now(), 'bulk@acme.example', 'readonly', 'eph_bulk', now(),"
                    + " md5(random()::text) || md5(random()::text), md5(random()::text) || md5(random()::text))";
            try (Connection c = env.admin(); PreparedStatement p = c.prepareStatement("INSERT INTO " + copy.events()
                    + " (credential_id, run_id, attempt, event, recorded_at, requester, target, role_name, valid_until,"
                    + " prev_hash, hash) VALUES " + String.join(", ", row, row, row, row))) {
                Object[][] values = {{bulkEnded, "a", "requested"}, {bulkOpen, "b", "requested"},
                        {bulkEnded, "a", "expired"}, {requestedOnly.credentialId(), "c", "revoked"}};
                for (int i = 0; i < values.length; i++) {
                    p.setString(3 * i + 1, values[i][0].toString());
                    p.setString(3 * i + 2, (String) values[i][1]);
                    p.setString(3 * i + 3, (String) values[i][2]);
                }
                assertEquals(4, p.executeUpdate());
            }
            assertEquals(Set.of(issued.credentialId(), bulkOpen), active(copy));
        }
    }

    /** A ledger from before V4 gets its open credentials listed from the migration on. */
    @Test
    void theMigrationFindsTheCredentialsAlreadyOpen() throws Exception {
        String schema = env.ledgerMigratedTo("3");
        try {
            org.postgresql.ds.PGSimpleDataSource asBot = new org.postgresql.ds.PGSimpleDataSource();
            asBot.setUrl(env.jdbcUrl());
            asBot.setUser(TestEnvironment.BOT);
            asBot.setPassword(env.botPassword());
            LedgerChain chain = new LedgerChain(asBot, new LedgerTable(schema));
            LedgerEntry open = chain.append(LedgerCopy.entry(1));
            LedgerEntry closed = chain.append(LedgerCopy.entry(2));
            chain.append(closed.next(LedgerEntry.EXPIRED, Instant.now(), null, null));
            assertEquals(1, LedgerMigrations.migrate(env.adminUrl(), null, null,
                    TestEnvironment.BOT, schema));
            assertEquals(Set.of(open.credentialId()), active(schema));
            chain.append(open.next(LedgerEntry.REVOKED, Instant.now(), null, null));
            assertEquals(Set.of(), active(schema));
        } finally {
            Db.execute("DROP SCHEMA " + Sql.ident(schema) + " CASCADE");
        }
    }

    @Test
    void theBrokerCannotTouchTheOpenCredentialSetItself() {
        for (String sql : List.of("SELECT * FROM ephemeral.ledger_open_credential",
                "DELETE FROM ephemeral.ledger_open_credential",
                "INSERT INTO ephemeral.ledger_open_credential VALUES (gen_random_uuid(), 1)")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Db.asBot(sql), sql);
            assertEquals("42501", ((SQLException) e.getCause()).getSQLState(), sql);
        }
    }

    /**
     * audit_active's credentials, after checking that they are exactly the active rows of
     * audit_credentials and exactly the credentials with a 'requested' and no ending event.
     */
    private static Set<UUID> active(LedgerCopy copy) {
        return active(copy.schema());
    }

    private static Set<UUID> active(String schema) {
        String s = Sql.ident(schema);
        Set<UUID> listed = ids("SELECT credential_id FROM " + s + ".audit_active");
        assertEquals(ids("SELECT credential_id FROM " + s + ".audit_credentials WHERE active"), listed);
        assertEquals(ids("SELECT r.credential_id FROM " + s + ".ledger_event r WHERE r.event = 'requested'"
                + " AND NOT EXISTS (SELECT FROM " + s + ".ledger_event t WHERE t.credential_id = r.credential_id"
                + " AND t.event IN ('failed', 'revoked', 'disabled', 'expired', 'reconciled'))"), listed);
        return listed;
    }

    private static Set<UUID> ids(String sql) {
        Set<UUID> ids = new java.util.HashSet<>();
        for (Map<String, Object> row : Db.query(sql)) {
            assertTrue(ids.add((UUID) row.get("credential_id")), "listed twice: " + row);
        }
        return ids;
    }

    /** JSON numbers come back as Integer or Long; the export's rows hold Long seq and int attempt. */
    private static Map<String, Object> normalised(Map<String, Object> parsed) {
        Map<String, Object> m = new java.util.LinkedHashMap<>(parsed);
        m.put("seq", ((Number) m.get("seq")).longValue());
        m.put("attempt", ((Number) m.get("attempt")).intValue());
        return m;
    }

    /**
     * 30,000 rows of about 1.5 kB, 45 MB in all, through a JVM with a 32 MB heap: only a cursor
     * gets them out. Reading the whole result at once (no transaction, or no fetch size) fails here
     * with OutOfMemoryError.
     */
    @Test
    void exportAndVerifyStreamALedgerLargerThanTheHeap() throws Exception {
        int rows = 30_000;
        try (LedgerCopy copy = new LedgerCopy()) {
            fill(copy, rows, 1500);
            Path out = Files.createTempFile("export", ".ndjson");
            try {
                Cli.Run export = Cli.runTo(out, Map.of(), List.of("-Xmx32m"), "ledger", "export", "--format", "ndjson",
                        "--schema", copy.schema());
                assertEquals(0, export.exit(), export.toString());
                assertTrue(Files.size(out) > 40_000_000L, "the export is larger than the heap: " + Files.size(out));
                long lines = 0;
                try (BufferedReader r = Files.newBufferedReader(out)) {
                    while (r.readLine() != null) {
                        lines++;
                    }
                }
                assertEquals(rows, lines);
            } finally {
                Files.deleteIfExists(out);
            }
            Cli.Run verify = Cli.run(Map.of(), List.of("-Xmx32m"), "ledger", "verify", "--schema", copy.schema());
            assertEquals(0, verify.exit(), verify.toString());
            assertTrue(verify.stdout().startsWith("ledger intact: " + rows + " chained rows verified"), verify.toString());
        }
    }

    /** A valid chain of {@code n} fat rows, written in batches (the broker's one-row transactions would be slow). */
    static void fill(LedgerCopy copy, int n, int reasonLength) throws SQLException {
        String padding = "x".repeat(reasonLength);
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        String prev = ChainHash.GENESIS;
        try (Connection c = env.adminForBulkInserts()) {
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO " + copy.events() + " (seq, credential_id, run_id,"
                    + " attempt, event, recorded_at, requester, approver, reason, target, role_name, secret_id,"
                    + " valid_until, actor, detail, prev_hash, hash) OVERRIDING SYSTEM VALUE"
                    + " VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, 'readonly', ?, NULL, ?, ?, NULL, ?, ?)")) {
                for (int i = 1; i <= n; i++) {
                    Instant at = start.plus(i, ChronoUnit.SECONDS);
                    LedgerEntry e = new LedgerEntry((long) i, UUID.randomUUID(), "acme:run:" + i, 1,
                            i % 2 == 0 ? "revoked" : "requested", at, "person" + (i % 97) + "@acme.example",
                            "approver@acme.example", i + padding, "readonly", "eph_" + i, null,
                            at.plus(1, ChronoUnit.HOURS), "approver@acme.example", null);
                    String hash = ChainHash.of(e, prev);
                    p.setLong(1, i);
                    p.setObject(2, e.credentialId());
                    p.setString(3, e.runId());
                    p.setString(4, e.event());
                    p.setObject(5, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
                    p.setString(6, e.requester());
                    p.setString(7, e.approver());
                    p.setString(8, e.reason());
                    p.setString(9, e.roleName());
                    p.setObject(10, OffsetDateTime.ofInstant(e.validUntil(), ZoneOffset.UTC));
                    p.setString(11, e.actor());
                    p.setString(12, prev);
                    p.setString(13, hash);
                    p.addBatch();
                    prev = hash;
                    if (i % 1000 == 0) {
                        p.executeBatch();
                    }
                }
                p.executeBatch();
            }
            c.commit();
        }
        assertFalse(prev.equals(ChainHash.GENESIS));
    }
}
