package io.pgephemeral.ledger;

import io.pgephemeral.broker.Deadline;
import io.pgephemeral.database.Sql;
import io.pgephemeral.database.Timestamps;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Appends to the hash chain. One transaction takes the ledger's advisory lock, reads the newest
 * hash, draws the next {@code seq} and inserts the row with both hashes, so two writers (two Lambda
 * instances, the sweeper) can never link to the same predecessor and fork the chain. The lock is
 * held for a few short statements; nothing slow (role DDL, Secrets Manager) happens under it.
 *
 * <p>The statements before the insert go to the server in one round trip: PostgreSQL runs them in
 * order, each with its own snapshot, so the newest hash is read after the lock is granted. An
 * append of one entry costs two round trips (that batch; the insert with its commit) instead of
 * six.
 *
 * <p>The lock key is the pair ({@link #LOCK_CLASS}, the table's oid): a space apart from the
 * single-bigint key that serialises role DDL, and distinct for a copy of the ledger in another
 * schema.
 */
public final class LedgerChain {

    /** "ledg" in ASCII: the first half of the advisory lock key. */
    public static final int LOCK_CLASS = 0x6c656467;

    /** The longest an append waits for the chain's lock, when the invocation has that long. */
    private static final Duration LOCK_WAIT = Duration.ofSeconds(10);

    private final DataSource dataSource;
    private final LedgerTable table;
    private final String prelude;

    public LedgerChain(DataSource dataSource, LedgerTable table) {
        this.dataSource = dataSource;
        this.table = table;
        String events = Sql.literal(table.events());
        this.prelude = " SELECT pg_advisory_xact_lock(" + LOCK_CLASS + ", " + events + "::regclass::oid::int4);"
                + " SELECT hash FROM " + table.events() + " ORDER BY seq DESC LIMIT 1;"
                + " SELECT nextval(pg_get_serial_sequence(" + events + ", 'seq')) FROM generate_series(1, ";
    }

    /**
     * Records {@code entry} at the end of the chain and returns it with its seq and hashes; null
     * when the entry opens or continues a credential ({@code requested}, {@code issued}) of a run
     * that has already ended (see {@link #append(List, Guard)}).
     */
    public LedgerEntry append(LedgerEntry entry) throws SQLException {
        return append(List.of(entry), Guard.RUN_NOT_ENDED).get(0);
    }

    /**
     * Records {@code entry} unless its credential already has a closing event (revoked, disabled,
     * expired, failed), or its run has ended; the check runs under the chain's lock, which every
     * writer takes, so no close can slip in between. Returns null when the credential was closed.
     */
    public LedgerEntry appendIfOpen(LedgerEntry entry) throws SQLException {
        return append(List.of(entry), Guard.CREDENTIAL_OPEN).get(0);
    }

    /**
     * Records {@code entry}, the first of its run, unless the run has any entry already; null if
     * it has. The check runs under the chain's lock, which every writer takes.
     */
    public LedgerEntry appendFirstOfRun(LedgerEntry entry) throws SQLException {
        return append(List.of(entry), Guard.RUN_UNSEEN).get(0);
    }

    /**
     * Records the end of a run for which no credential is open (a deescalate that found nothing
     * to remove); null if one of the run's credentials is open by now, for the caller to end it.
     */
    public LedgerEntry appendRunEnd(LedgerEntry entry) throws SQLException {
        return append(List.of(entry), Guard.RUN_IDLE).get(0);
    }

    /**
     * {@link #appendIfOpen} for many entries in one transaction (the sweep closes credentials by
     * the hundred): one element per entry, null where the credential was already closed.
     */
    public List<LedgerEntry> appendAllIfOpen(List<LedgerEntry> entries) throws SQLException {
        return entries.isEmpty() ? List.of() : append(entries, Guard.CREDENTIAL_OPEN);
    }

    /**
     * What is checked under the lock before an entry is written. Every guard also refuses a
     * {@code requested} or {@code issued} entry of a run that has ended: once a deescalate or the
     * sweep closed a run, no credential of it may start or be issued, whichever of the two read the
     * run first.
     */
    private enum Guard {
        /** Only the run check. */
        RUN_NOT_ENDED,
        /** Also: the entry's credential has no closing event. */
        CREDENTIAL_OPEN,
        /** Also: no credential of the entry's run is open. */
        RUN_IDLE,
        /** Instead: the entry's run has no entry at all. */
        RUN_UNSEEN
    }

    private List<LedgerEntry> append(List<LedgerEntry> entries, Guard guard) throws SQLException {
        List<String> startingRuns = entries.stream().filter(LedgerChain::startsOrIssues)
                .map(LedgerEntry::runId).distinct().toList();
        Object[] runs = entries.stream().map(LedgerEntry::runId).distinct().toArray();
        List<String> checks = new ArrayList<>();
        if (guard == Guard.CREDENTIAL_OPEN) {
            checks.add("SELECT DISTINCT credential_id::text FROM " + table.events()
                    + " WHERE credential_id = ANY (?::uuid[]) AND event IN " + LedgerEntry.CLOSING_SQL);
        }
        if (guard == Guard.RUN_UNSEEN) {
            // Any entry of the run at all, ended or not, sends the caller to read it.
            checks.add("SELECT DISTINCT run_id FROM " + table.events() + " WHERE run_id = ANY (?)");
        } else if (!startingRuns.isEmpty()) {
            checks.add("SELECT DISTINCT run_id FROM " + table.events() + " WHERE run_id = ANY (?) AND event IN "
                    + LedgerEntry.RUN_ENDING_SQL);
        }
        if (guard == Guard.RUN_IDLE) {
            checks.add("SELECT DISTINCT r.run_id FROM " + table.events() + " r WHERE r.run_id = ANY (?)"
                    + " AND r.event = '" + LedgerEntry.REQUESTED + "' AND NOT EXISTS (SELECT 1 FROM " + table.events()
                    + " c WHERE c.credential_id = r.credential_id AND c.event IN " + LedgerEntry.CLOSING_SQL + ")");
        }
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                String prevHash;
                List<Long> seqs = new ArrayList<>();
                Set<String> closedCredentials = new HashSet<>();
                Set<String> endedRuns = new HashSet<>();
                Set<String> refusedRuns = new HashSet<>(); // busy (RUN_IDLE) or already seen (RUN_UNSEEN)
                // Bounded, so that a stuck writer shows up as an error instead of a hung Lambda.
                StringBuilder batch = new StringBuilder("SET LOCAL lock_timeout = '")
                        .append(Deadline.current().bound(LOCK_WAIT).toMillis()).append("ms';")
                        .append(prelude).append(entries.size()).append(")");
                checks.forEach(check -> batch.append("; ").append(check));
                try (PreparedStatement s = c.prepareStatement(batch.toString())) {
                    int parameter = 1;
                    if (guard == Guard.CREDENTIAL_OPEN) {
                        s.setArray(parameter++, c.createArrayOf("text",
                                entries.stream().map(e -> e.credentialId().toString()).toArray()));
                    }
                    if (guard == Guard.RUN_UNSEEN) {
                        s.setArray(parameter++, c.createArrayOf("text", runs));
                    } else if (!startingRuns.isEmpty()) {
                        s.setArray(parameter++, c.createArrayOf("text", startingRuns.toArray()));
                    }
                    if (guard == Guard.RUN_IDLE) {
                        s.setArray(parameter, c.createArrayOf("text", runs));
                    }
                    s.execute();
                    s.getMoreResults(); // the lock
                    ResultSet head = next(s);
                    prevHash = head.next() ? head.getString(1) : null;
                    // The genesis value for an empty ledger or one begun before the chain.
                    prevHash = prevHash == null ? ChainHash.GENESIS : prevHash;
                    ResultSet numbers = next(s);
                    while (numbers.next()) {
                        seqs.add(numbers.getLong(1));
                    }
                    if (guard == Guard.CREDENTIAL_OPEN) {
                        readInto(next(s), closedCredentials);
                    }
                    if (guard == Guard.RUN_UNSEEN) {
                        readInto(next(s), refusedRuns);
                    } else if (!startingRuns.isEmpty()) {
                        readInto(next(s), endedRuns);
                    }
                    if (guard == Guard.RUN_IDLE) {
                        readInto(next(s), refusedRuns);
                    }
                }
                seqs.sort(null);
                List<LedgerEntry> out = new ArrayList<>();
                List<LedgerEntry> rows = new ArrayList<>();
                for (int i = 0; i < entries.size(); i++) {
                    LedgerEntry entry = entries.get(i);
                    if (closedCredentials.contains(entry.credentialId().toString())
                            || (startsOrIssues(entry) && endedRuns.contains(entry.runId()))
                            || refusedRuns.contains(entry.runId())) {
                        out.add(null);
                        continue;
                    }
                    LedgerEntry storable = storable(entry);
                    LedgerEntry numbered = storable.chained(seqs.get(i), prevHash, null);
                    LedgerEntry chained = storable.chained(seqs.get(i), prevHash, ChainHash.of(numbered, prevHash));
                    out.add(chained);
                    rows.add(chained);
                    prevHash = chained.hash();
                }
                if (rows.isEmpty()) {
                    c.rollback();
                    return out;
                }
                insertAndCommit(c, rows);
                return out;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    private static boolean startsOrIssues(LedgerEntry entry) {
        return LedgerEntry.REQUESTED.equals(entry.event()) || LedgerEntry.ISSUED.equals(entry.event());
    }

    private static void readInto(ResultSet r, Set<String> out) throws SQLException {
        while (r.next()) {
            out.add(r.getString(1));
        }
    }

    /** Times as the database stores them, so the hash computed here is the one verify recomputes. */
    private static LedgerEntry storable(LedgerEntry entry) {
        return new LedgerEntry(null, entry.credentialId(), entry.runId(), entry.attempt(),
                entry.event(), ChainHash.storable(entry.recordedAt()), entry.requester(), entry.approver(),
                entry.reason(), entry.target(), entry.roleName(), entry.secretId(),
                ChainHash.storable(entry.validUntil()), entry.actor(), entry.detail());
    }

    /** The next result of a multi-statement batch, which must be a row set. */
    private static ResultSet next(Statement s) throws SQLException {
        if (!s.getMoreResults()) {
            throw new SQLException("the ledger's append batch returned fewer results than statements");
        }
        return s.getResultSet();
    }

    private void insertAndCommit(Connection c, List<LedgerEntry> rows) throws SQLException {
        String insert = "INSERT INTO " + table.events()
                + " (seq, credential_id, run_id, attempt, event, recorded_at, requester, approver, reason, target,"
                + " role_name, secret_id, valid_until, actor, detail, prev_hash, hash)"
                + " OVERRIDING SYSTEM VALUE VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        if (rows.size() == 1) {
            // The commit goes in the insert's round trip: an escalation appends twice, and each
            // round trip is a network's worth of latency when the database is not next door. If
            // the insert fails, the server skips the COMMIT and the caller rolls back. A single row
            // also keeps the server's error (and its constraint name) as the cause.
            try (PreparedStatement p = c.prepareStatement(insert + "; COMMIT")) {
                bind(p, rows.get(0));
                p.execute();
            }
            return;
        }
        try (PreparedStatement p = c.prepareStatement(insert)) {
            for (LedgerEntry e : rows) {
                bind(p, e);
                p.addBatch();
            }
            p.executeBatch(); // one pipelined round trip for the whole group
        }
        c.commit();
    }

    private static void bind(PreparedStatement p, LedgerEntry e) throws SQLException {
        int i = 1;
        p.setLong(i++, e.seq());
        p.setObject(i++, e.credentialId());
        p.setString(i++, e.runId());
        p.setInt(i++, e.attempt());
        p.setString(i++, e.event());
        p.setObject(i++, Timestamps.utc(e.recordedAt()));
        p.setString(i++, e.requester());
        p.setString(i++, e.approver());
        p.setString(i++, e.reason());
        p.setString(i++, e.target());
        p.setString(i++, e.roleName());
        p.setString(i++, e.secretId());
        p.setObject(i++, Timestamps.utc(e.validUntil()));
        p.setString(i++, e.actor());
        p.setString(i++, e.detail());
        p.setString(i++, e.prevHash());
        p.setString(i, e.hash());
    }
}
