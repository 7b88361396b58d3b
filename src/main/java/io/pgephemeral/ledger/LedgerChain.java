package io.pgephemeral.ledger;

import io.pgephemeral.postgres.Sql;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Appends to the hash chain. One transaction takes the ledger's advisory lock, reads the newest
 * hash, draws the next {@code seq} and inserts the row with both hashes, so two writers (two Lambda
 * instances, the sweeper) can never link to the same predecessor and fork the chain. The lock is
 * held for a few short statements; nothing slow (role DDL, Secrets Manager) happens under it.
 *
 * <p>The statements before the insert go to the server in one round trip: PostgreSQL runs them in
 * order, each with its own snapshot, so the newest hash is read after the lock is granted. An
 * append costs three round trips (that batch, the insert, the commit) instead of six.
 *
 * <p>The lock key is the pair ({@link #LOCK_CLASS}, the table's oid): a space apart from the
 * single-bigint key that serialises role DDL, and distinct for a copy of the ledger in another
 * schema.
 */
public final class LedgerChain {

    /** "ledg" in ASCII: the first half of the advisory lock key. */
    public static final int LOCK_CLASS = 0x6c656467;

    /** The events of V3's one-close-per-credential index: a credential with one of them is closed. */
    private static final String CLOSING = "('revoked', 'disabled', 'expired', 'failed')";

    private final DataSource dataSource;
    private final LedgerTable table;
    private final String prelude;

    public LedgerChain(DataSource dataSource, LedgerTable table) {
        this.dataSource = dataSource;
        this.table = table;
        String events = Sql.literal(table.events());
        // Bounded, so that a stuck writer shows up as an error instead of a hung Lambda.
        this.prelude = "SET LOCAL lock_timeout = '10s';"
                + " SELECT pg_advisory_xact_lock(" + LOCK_CLASS + ", " + events + "::regclass::oid::int4);"
                + " SELECT hash FROM " + table.events() + " ORDER BY seq DESC LIMIT 1;"
                + " SELECT nextval(pg_get_serial_sequence(" + events + ", 'seq')) FROM generate_series(1, ";
    }

    /** Records {@code entry} at the end of the chain and returns it with its seq and hashes. */
    public LedgerEntry append(LedgerEntry entry) throws SQLException {
        return append(List.of(entry), false).get(0);
    }

    /**
     * Records {@code entry} unless its credential already has a closing event (revoked, disabled,
     * expired, failed); the check runs under the chain's lock, which every writer takes, so no
     * close can slip in between. Returns null when the credential was closed.
     */
    public LedgerEntry appendIfOpen(LedgerEntry entry) throws SQLException {
        return append(List.of(entry), true).get(0);
    }

    /**
     * {@link #appendIfOpen} for many entries in one transaction (the sweep closes credentials by
     * the hundred): one element per entry, null where the credential was already closed.
     */
    public List<LedgerEntry> appendAllIfOpen(List<LedgerEntry> entries) throws SQLException {
        return entries.isEmpty() ? List.of() : append(entries, true);
    }

    private List<LedgerEntry> append(List<LedgerEntry> entries, boolean onlyIfOpen) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                String prevHash;
                List<Long> seqs = new ArrayList<>();
                Set<UUID> closed = new HashSet<>();
                try (Statement s = c.createStatement()) {
                    s.execute(prelude + entries.size() + ")"
                            + (onlyIfOpen ? "; " + closedCheck(entries) : ""));
                    s.getMoreResults(); // the lock
                    ResultSet head = next(s);
                    prevHash = head.next() ? head.getString(1) : null;
                    // The genesis value for an empty ledger or one begun before the chain.
                    prevHash = prevHash == null ? ChainHash.GENESIS : prevHash;
                    ResultSet numbers = next(s);
                    while (numbers.next()) {
                        seqs.add(numbers.getLong(1));
                    }
                    if (onlyIfOpen) {
                        ResultSet ids = next(s);
                        while (ids.next()) {
                            closed.add((UUID) ids.getObject(1));
                        }
                    }
                }
                seqs.sort(null);
                List<LedgerEntry> out = new ArrayList<>();
                List<LedgerEntry> rows = new ArrayList<>();
                for (int i = 0; i < entries.size(); i++) {
                    LedgerEntry entry = entries.get(i);
                    if (closed.contains(entry.credentialId())) {
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
                insert(c, rows);
                c.commit();
                return out;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
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

    /** Which of the credentials have a closing event. A UUID's text is hex digits and dashes: safe to inline. */
    private String closedCheck(List<LedgerEntry> entries) {
        StringBuilder ids = new StringBuilder();
        for (LedgerEntry e : entries) {
            ids.append(ids.length() == 0 ? "'" : ", '").append(e.credentialId()).append("'::uuid");
        }
        return "SELECT DISTINCT credential_id FROM " + table.events() + " WHERE credential_id IN (" + ids
                + ") AND event IN " + CLOSING;
    }

    private void insert(Connection c, List<LedgerEntry> rows) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO " + table.events()
                + " (seq, credential_id, run_id, attempt, event, recorded_at, requester, approver, reason, target,"
                + " role_name, secret_id, valid_until, actor, detail, prev_hash, hash)"
                + " OVERRIDING SYSTEM VALUE VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            if (rows.size() == 1) {
                // A single row keeps the server's error (and its constraint name) as the cause.
                bind(p, rows.get(0));
                p.executeUpdate();
                return;
            }
            for (LedgerEntry e : rows) {
                bind(p, e);
                p.addBatch();
            }
            p.executeBatch(); // one pipelined round trip for the whole group
        }
    }

    private static void bind(PreparedStatement p, LedgerEntry e) throws SQLException {
        int i = 1;
        p.setLong(i++, e.seq());
        p.setObject(i++, e.credentialId());
        p.setString(i++, e.runId());
        p.setInt(i++, e.attempt());
        p.setString(i++, e.event());
        p.setObject(i++, utc(e.recordedAt()));
        p.setString(i++, e.requester());
        p.setString(i++, e.approver());
        p.setString(i++, e.reason());
        p.setString(i++, e.target());
        p.setString(i++, e.roleName());
        p.setString(i++, e.secretId());
        p.setObject(i++, utc(e.validUntil()));
        p.setString(i++, e.actor());
        p.setString(i++, e.detail());
        p.setString(i++, e.prevHash());
        p.setString(i, e.hash());
    }

    private static OffsetDateTime utc(Instant at) {
        return OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
    }
}
