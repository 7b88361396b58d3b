package io.pgephemeral.ledger;

import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.LedgerCopy;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hash chain on a real PostgreSQL: how rows link, that every kind of tampering is found by the
 * verifier and by {@code ledger verify}, and that concurrent writers keep one chain. Each test works
 * on its own copy of the ledger, so the shared one stays intact whatever runs before or after.
 */
class HashChainTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private LedgerCopy copy;
    private List<LedgerEntry> rows;

    @BeforeEach
    void sixRows() {
        copy = new LedgerCopy();
        rows = copy.append(6);
    }

    @AfterEach
    void drop() {
        copy.close();
    }

    @Test
    void eachRowLinksToTheOneBeforeAndHashesItsOwnContent() {
        assertEquals(ChainHash.GENESIS, rows.get(0).prevHash());
        for (int i = 1; i < rows.size(); i++) {
            assertEquals(rows.get(i - 1).hash(), rows.get(i).prevHash());
            assertTrue(rows.get(i).seq() > rows.get(i - 1).seq());
        }
        // What the database holds hashes to what the writer computed.
        List<Map<String, Object>> stored = Db.query("SELECT seq, hash FROM " + copy.events() + " ORDER BY seq");
        assertEquals(rows.stream().map(LedgerEntry::hash).toList(), stored.stream().map(r -> r.get("hash")).toList());
        ChainVerifier.Result result = copy.verify();
        assertTrue(result.intact(), String.valueOf(result.broken()));
        assertEquals(6, result.rows());
        assertEquals(rows.get(5).seq(), result.head().seq());
        assertEquals(rows.get(5).hash(), result.head().hash());
    }

    /**
     * The verifier hashes the bytes PostgreSQL sends; the writer hashed Java's values. Awkward
     * values must come out alike: text with escapes, multi-byte characters, the empty string next
     * to NULL, a row larger than the verifier's first buffer, and instants before 1970, in a leap
     * second's neighbourhood and two centuries ahead.
     */
    @Test
    void theVerifierHashesWhatTheWriterHashedWhateverTheRowsHold() {
        LedgerEntry base = LedgerCopy.entry(7);
        String[] texts = {"tab\there, new\nline, back\\slash, \\N, quote\" and CR\r", "zoë ünïcödé 日本語 🎉", "",
                "x".repeat(200_000)};
        Instant[] times = {Instant.parse("1969-07-20T20:17:40.000001Z"), Instant.parse("2016-12-31T23:59:59.999999Z"),
                Instant.parse("2199-12-31T23:59:59.999999Z"), Instant.parse("2026-11-23T10:00:00Z")};
        List<LedgerEntry> written = new ArrayList<>(rows);
        for (int i = 0; i < texts.length; i++) {
            written.add(copy.append(new LedgerEntry(null, UUID.randomUUID(), texts[i], i + 1, "issued", times[i],
                    texts[i], i % 2 == 0 ? null : texts[i], texts[i], texts[(i + 1) % texts.length], base.roleName(),
                    i % 2 == 0 ? texts[i] : null, times[(i + 1) % times.length], "", texts[i])));
        }
        ChainVerifier.Result result = copy.verify();
        assertTrue(result.intact(), String.valueOf(result.broken()));
        assertEquals(written.size(), result.rows());
        assertEquals(written.get(written.size() - 1).hash(), result.head().hash());

        long emoji = written.get(7).seq();
        copy.tamper("UPDATE " + copy.events() + " SET requester = replace(requester, '🎉', '🎊') WHERE seq = " + emoji);
        ChainVerifier.Result tampered = copy.verify();
        assertEquals(emoji, tampered.broken().seq(), tampered.broken().problem());
        assertTrue(tampered.broken().problem().contains("content does not match its hash"), tampered.broken().problem());
        assertEquals(written.get(6).seq(), tampered.head().seq());
    }

    @Test
    void anEmptyLedgerIsIntactAndHasNoHead() {
        try (LedgerCopy empty = new LedgerCopy()) {
            ChainVerifier.Result result = empty.verify();
            assertTrue(result.intact());
            assertEquals(0, result.rows());
            assertEquals(null, result.head());
        }
    }

    @Test
    void theTableRefusesChangesAndUnlinkedRowsEvenFromItsOwner() throws SQLException {
        try (Connection c = env.admin(); Statement s = c.createStatement()) {
            SQLException update = assertThrows(SQLException.class,
                    () -> s.execute("UPDATE " + copy.events() + " SET reason = 'edited'"));
            assertEquals("42501", update.getSQLState());
            SQLException delete = assertThrows(SQLException.class, () -> s.execute("DELETE FROM " + copy.events()));
            assertEquals("42501", delete.getSQLState());
            SQLException unlinked = assertThrows(SQLException.class, () -> s.execute("INSERT INTO " + copy.events()
                    + " (credential_id, run_id, attempt, event, recorded_at, requester, target, role_name, valid_until)"
                    + " VALUES (gen_random_uuid(), 'r', 1, 'issued', now(), 'x', 't', 'r', now())"));
            assertEquals("23514", unlinked.getSQLState(), "check violation: a new row must carry its hashes");
            SQLException fork = assertThrows(SQLException.class, () -> s.execute("INSERT INTO " + copy.events()
                    + " (credential_id, run_id, attempt, event, recorded_at, requester, target, role_name, valid_until,"
                    + " prev_hash, hash) VALUES (gen_random_uuid(), 'r', 1, 'issued', now(), 'x', 't', 'r', now(), '"
                    + rows.get(2).hash() + "', '" + "a".repeat(64) + "')"));
            assertEquals("23505", fork.getSQLState(), "a second successor of one row is a fork");
        }
        assertTrue(copy.verify().intact());
    }

    @Test
    void aChangedFieldBreaksItsOwnRow() throws Exception {
        long seq = rows.get(3).seq();
        copy.tamper("UPDATE " + copy.events() + " SET approver = 'someone.else@acme.example' WHERE seq = " + seq);
        assertBrokenAt(seq, "content does not match its hash");
    }

    @Test
    void aDeletedRowBreaksTheLinkOfTheNext() throws Exception {
        copy.tamper("DELETE FROM " + copy.events() + " WHERE seq = " + rows.get(2).seq());
        assertBrokenAt(rows.get(3).seq(), "is not the hash of the row before it (seq " + rows.get(1).seq());
    }

    @Test
    void aForgedRowInsertedInTheMiddleBreaksTheChain() throws Exception {
        // A gap in seq, as a rolled-back insert leaves, is where a forger would put a row.
        LedgerCopy gapped = new LedgerCopy();
        try {
            LedgerEntry first = gapped.append(LedgerCopy.entry(1));
            Db.value("SELECT nextval(pg_get_serial_sequence(?, 'seq'))", gapped.events());
            LedgerEntry third = gapped.append(LedgerCopy.entry(3));
            long forgedSeq = first.seq() + 1;
            LedgerEntry forged = LedgerCopy.entry(2);
            forged = new LedgerEntry(forgedSeq, forged.credentialId(), forged.runId(), 1, "issued",
                    forged.recordedAt(), "mallory@acme.example", "ceo@acme.example", "forged", "readonly",
                    "eph_mallory", null, forged.validUntil(), "ceo@acme.example", null);
            // Even a correctly computed hash over the right predecessor does not help: the next row
            // links to its own predecessor, not to the forged one.
            String hash = ChainHash.of(forged, first.hash());
            // The unique successor index would refuse this row; a superuser forger drops it first.
            Db.execute("DROP INDEX " + io.pgephemeral.database.Sql.ident(gapped.schema()) + ".ledger_event_one_successor");
            gapped.tamper("INSERT INTO " + gapped.events() + " (seq, credential_id, run_id, attempt, event, recorded_at,"
                    + " requester, approver, reason, target, role_name, valid_until, actor, prev_hash, hash)"
                    + " OVERRIDING SYSTEM VALUE VALUES (" + forgedSeq + ", '" + forged.credentialId() + "', 'run', 1,"
                    + " 'issued', now(), 'mallory@acme.example', 'ceo@acme.example', 'forged', 'readonly',"
                    + " 'eph_mallory', now(), 'ceo@acme.example', '" + first.hash() + "', '" + hash + "')");
            ChainVerifier.Result result = gapped.verify();
            assertFalse(result.intact());
            // The forged row's content no longer matches (its recorded_at differs) or the next row's
            // link does: either way the break is at or right after the forgery, never later.
            assertTrue(result.broken().seq() == forgedSeq || result.broken().seq() == third.seq(), result.broken().toString());
            Cli.Run run = Cli.run("ledger", "verify", "--schema", gapped.schema());
            assertEquals(1, run.exit(), run.toString());
            assertTrue(run.stdout().startsWith("ledger BROKEN at seq "), run.toString());
        } finally {
            gapped.close();
        }
    }

    @Test
    void swappingTwoRowsIsFound() throws Exception {
        long a = rows.get(1).seq();
        long b = rows.get(4).seq();
        String columns = "credential_id, run_id, attempt, event, recorded_at, requester, approver, reason, target,"
                + " role_name, secret_id, valid_until, actor, detail, prev_hash, hash";
        copy.tamper("CREATE TEMP TABLE swapped AS SELECT * FROM " + copy.events() + " WHERE seq IN (" + a + ", " + b + ");"
                + " DELETE FROM " + copy.events() + " WHERE seq IN (" + a + ", " + b + ");"
                + " INSERT INTO " + copy.events() + " (seq, " + columns + ") OVERRIDING SYSTEM VALUE"
                + " SELECT CASE seq WHEN " + a + " THEN " + b + " ELSE " + a + " END, " + columns + " FROM swapped");
        assertEquals(rows.get(4).hash(), Db.value("SELECT hash FROM " + copy.events() + " WHERE seq = ?", a));
        assertBrokenAt(a, "is not the hash of the row before it");
    }

    @Test
    void recomputingOneHashMovesTheBreakToTheNextRow() throws Exception {
        LedgerEntry victim = rows.get(2);
        LedgerEntry edited = new LedgerEntry(victim.seq(), victim.credentialId(), victim.runId(), victim.attempt(),
                victim.event(), victim.recordedAt(), victim.requester(), victim.approver(), "nothing to see here",
                victim.target(), victim.roleName(), victim.secretId(), victim.validUntil(), victim.actor(),
                victim.detail());
        String recomputed = ChainHash.of(edited, victim.prevHash());
        copy.tamper("UPDATE " + copy.events() + " SET reason = 'nothing to see here', hash = '" + recomputed
                + "' WHERE seq = " + victim.seq());
        assertBrokenAt(rows.get(3).seq(), "is not the hash of the row before it (seq " + victim.seq());
    }

    @Test
    void aTruncatedTailIsFoundAgainstTheLoggedHead() throws Exception {
        LedgerEntry last = rows.get(5);
        copy.tamper("DELETE FROM " + copy.events() + " WHERE seq = " + last.seq());
        assertTrue(copy.verify().intact(), "without the log, a shorter chain is still a chain");
        ChainVerifier.Result result = copy.verify(Map.of(last.seq(), last.hash()));
        assertFalse(result.intact());
        assertTrue(result.broken().problem().contains("is not in the ledger"), result.broken().problem());
        Cli.Run run = Cli.run("ledger", "verify", "--schema", copy.schema(), "--anchor", last.seq() + ":" + last.hash());
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stdout().contains("seq " + last.seq()), run.toString());

        LedgerEntry kept = rows.get(4);
        Cli.Run anchored = Cli.run("ledger", "verify", "--schema", copy.schema(), "--anchor", kept.seq() + ":" + kept.hash());
        assertEquals(0, anchored.exit(), anchored.toString());
    }

    @Test
    void eightConcurrentWritersKeepOneChain() throws Exception {
        int threads = 8;
        int each = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        copy.append(LedgerCopy.entry(thread * 1000 + i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        ChainVerifier.Result result = copy.verify();
        assertTrue(result.intact(), String.valueOf(result.broken()));
        assertEquals(6 + threads * each, result.rows());
        Set<Object> predecessors = new HashSet<>();
        for (Map<String, Object> row : Db.query("SELECT prev_hash FROM " + copy.events())) {
            assertTrue(predecessors.add(row.get("prev_hash")), "two rows follow the same row: the chain forked");
        }
    }

    /**
     * An append's insert and its COMMIT go to the server in one round trip. When the insert fails,
     * the server skips the COMMIT: nothing is written, the error names what refused the row, and
     * the session is not left inside the failed transaction (the next append on the very same
     * connection links to the last row written).
     */
    @Test
    void anAppendWhoseInsertFailsWritesNothingAndLeavesItsConnectionReady() throws Exception {
        Db.execute("ALTER TABLE " + copy.events()
                + " ADD CONSTRAINT refused_requester CHECK (requester <> 'refused@acme.example')");
        try (Connection session = env.login(TestEnvironment.BOT, env.botPassword())) {
            LedgerChain chain = new LedgerChain(onlyThis(session), copy.table());
            LedgerEntry sample = LedgerCopy.entry(100);
            LedgerEntry refused = new LedgerEntry(null, sample.credentialId(), sample.runId(), 1, sample.event(),
                    sample.recordedAt(), "refused@acme.example", sample.approver(), sample.reason(), sample.target(),
                    sample.roleName(), sample.secretId(), sample.validUntil(), sample.actor(), null);
            SQLException e = assertThrows(SQLException.class, () -> chain.append(refused));
            assertTrue(e.getMessage().contains("refused_requester"), e.getMessage());
            assertEquals(6, Db.query("SELECT 1 FROM " + copy.events()).size(), "nothing was written");
            assertTrue(session.getAutoCommit(), "the session's auto-commit is restored");

            LedgerEntry next = chain.append(LedgerCopy.entry(101));
            assertEquals(rows.get(5).hash(), next.prevHash());
        }
        ChainVerifier.Result result = copy.verify();
        assertTrue(result.intact(), String.valueOf(result.broken()));
        assertEquals(7, result.rows());
    }

    /** A data source that hands out {@code session} every time and never closes it. */
    private static javax.sql.DataSource onlyThis(Connection session) {
        Connection unclosable = (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        return null;
                    }
                    try {
                        return method.invoke(session, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(javax.sql.DataSource.class.getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) {
                        return unclosable;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void aLedgerFromBeforeTheChainKeepsItsOldRowsAndChainsTheNewOnes() throws Exception {
        String schema = env.ledgerMigratedTo("1");
        LedgerTable table = new LedgerTable(schema);
        try (Connection bot = env.login(TestEnvironment.BOT, env.botPassword()); Statement s = bot.createStatement()) {
            for (int i = 0; i < 2; i++) {
                s.execute("INSERT INTO " + table.events() + " (credential_id, run_id, attempt, event, recorded_at,"
                        + " requester, target, role_name, valid_until) VALUES (gen_random_uuid(), 'old-run-" + i
                        + "', 1, 'requested', now(), 'old@acme.example', 'readonly', 'eph_old', now())");
            }
        }
        try {
            LedgerMigrations.migrate(env.adminUrl(), null, null, TestEnvironment.BOT, schema);
            org.postgresql.ds.PGSimpleDataSource asBot = new org.postgresql.ds.PGSimpleDataSource();
            asBot.setUrl(env.jdbcUrl());
            asBot.setUser(TestEnvironment.BOT);
            asBot.setPassword(env.botPassword());
            LedgerChain chain = new LedgerChain(asBot, table);
            LedgerEntry first = chain.append(LedgerCopy.entry(1));
            LedgerEntry second = chain.append(LedgerCopy.entry(2));
            assertEquals(ChainHash.GENESIS, first.prevHash(), "the chain starts after the old rows");
            assertEquals(first.hash(), second.prevHash());
            try (Connection c = env.admin()) {
                ChainVerifier.Result result = new ChainVerifier(table).verify(c, Map.of(), rows -> { });
                assertTrue(result.intact(), String.valueOf(result.broken()));
                assertEquals(4, result.rows());
                assertEquals(2, result.unchained());
            }
            Cli.Run run = Cli.run("ledger", "verify", "--schema", schema);
            assertEquals(0, run.exit(), run.toString());
            assertTrue(run.stdout().contains("2 chained rows verified") && run.stdout().contains(
                    "2 earlier rows predate the chain"), run.toString());
        } finally {
            Db.execute("DROP SCHEMA " + io.pgephemeral.database.Sql.ident(schema) + " CASCADE");
        }
    }

    @Test
    void theVerifyCommandReportsAnIntactChainWithItsHead() throws Exception {
        Cli.Run run = Cli.run("ledger", "verify", "--schema", copy.schema());
        assertEquals(0, run.exit(), run.toString());
        assertEquals("ledger intact: 6 chained rows verified, head seq=" + rows.get(5).seq() + " hash="
                + rows.get(5).hash() + "\n", run.stdout());
    }

    @Test
    void theSharedLedgerIsIntact() throws Exception {
        // Whatever other tests appended before this one, through the broker, forms one chain.
        Cli.Run run = Cli.run("ledger", "verify");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.stdout().startsWith("ledger intact: "), run.toString());
    }

    @Test
    void theCanonicalEncodingIsTheDocumentedOne() {
        LedgerEntry e = new LedgerEntry(42L, UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e"),
                "acme:run:postgres:2.0.0:1", 1, "issued", Instant.parse("2026-11-23T10:00:00.123456Z"),
                "jane.doe@acme.example", "ops-lead@acme.example", null, "readonly", "eph_jane_doe_k3x9",
                "pg-ephemeral/jane.doe@acme.example/readonly", Instant.parse("2026-11-23T11:00:00Z"),
                "ops-lead@acme.example", null);
        byte[] encoded = ChainHash.encode(e, ChainHash.GENESIS);
        // version tag, then seq: 0x01, length 2, "42"
        assertEquals(1, encoded[0]);
        assertEquals(22, encoded[4]);
        assertEquals("pg-ephemeral-ledger-v1", new String(encoded, 5, 22));
        assertEquals(1, encoded[27]);
        assertEquals(2, encoded[31]);
        assertEquals("42", new String(encoded, 32, 2));
        // The example in docs/auditors-and-requesters.md.
        assertEquals("fd98eedc9b4b652412341af50f4803bd5180a6a7cf124ced61cf356cdab159d9", ChainHash.of(e, ChainHash.GENESIS));
    }

    private void assertBrokenAt(long seq, String why) throws Exception {
        ChainVerifier.Result result = copy.verify();
        assertFalse(result.intact(), "the tampering was not found");
        assertNotNull(result.broken());
        assertEquals(seq, result.broken().seq(), result.broken().problem());
        assertTrue(result.broken().problem().contains(why), result.broken().problem());
        Cli.Run run = Cli.run("ledger", "verify", "--schema", copy.schema());
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stdout().startsWith("ledger BROKEN at seq " + seq + ": "), run.toString());
        assertTrue(run.stdout().contains("\n" + (result.verified()) + " chained row(s) intact"), run.toString());
        assertTrue(run.stdout().contains(why), run.toString());
    }
}
