package io.pgephemeral.ledger;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Appends to the hash chain. One transaction takes the ledger's advisory lock, reads the newest
 * hash, draws the next {@code seq} and inserts the row with both hashes, so two writers (two Lambda
 * instances, the sweeper) can never link to the same predecessor and fork the chain. The lock is
 * held for three short statements; nothing slow (role DDL, Secrets Manager) happens under it.
 *
 * <p>The lock key is the pair ({@link #LOCK_CLASS}, the table's oid): a space apart from the
 * single-bigint key that serialises role DDL, and distinct for a copy of the ledger in another
 * schema.
 */
public final class LedgerChain {

    /** "ledg" in ASCII: the first half of the advisory lock key. */
    public static final int LOCK_CLASS = 0x6c656467;

    private final DataSource dataSource;
    private final LedgerTable table;

    public LedgerChain(DataSource dataSource, LedgerTable table) {
        this.dataSource = dataSource;
        this.table = table;
    }

    /** Records {@code entry} at the end of the chain and returns it with its seq and hashes. */
    public LedgerEntry append(LedgerEntry entry) throws SQLException {
        LedgerEntry storable = new LedgerEntry(null, entry.credentialId(), entry.runId(), entry.attempt(),
                entry.event(), ChainHash.storable(entry.recordedAt()), entry.requester(), entry.approver(),
                entry.reason(), entry.target(), entry.roleName(), entry.secretId(),
                ChainHash.storable(entry.validUntil()), entry.actor(), entry.detail());
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                lock(c);
                String prevHash = newestHash(c);
                long seq = nextSeq(c);
                LedgerEntry numbered = storable.chained(seq, prevHash, null);
                LedgerEntry chained = storable.chained(seq, prevHash, ChainHash.of(numbered, prevHash));
                insert(c, chained);
                c.commit();
                return chained;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    private void lock(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            // Bounded, so that a stuck writer shows up as an error instead of a hung Lambda.
            s.execute("SET LOCAL lock_timeout = '10s'");
        }
        try (PreparedStatement p = c.prepareStatement("SELECT pg_advisory_xact_lock(?, ?::regclass::oid::int4)")) {
            p.setInt(1, LOCK_CLASS);
            p.setString(2, table.events());
            p.execute();
        }
    }

    /** The newest row's hash; the genesis value for an empty ledger or one begun before the chain. */
    private String newestHash(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT hash FROM " + table.events() + " ORDER BY seq DESC LIMIT 1")) {
            String hash = r.next() ? r.getString(1) : null;
            return hash == null ? ChainHash.GENESIS : hash;
        }
    }

    /** The seq is part of the hash, so it is drawn before the insert rather than by it. */
    private long nextSeq(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT nextval(pg_get_serial_sequence(?, 'seq'))")) {
            p.setString(1, table.events());
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private void insert(Connection c, LedgerEntry e) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO " + table.events()
                + " (seq, credential_id, run_id, attempt, event, recorded_at, requester, approver, reason, target,"
                + " role_name, secret_id, valid_until, actor, detail, prev_hash, hash)"
                + " OVERRIDING SYSTEM VALUE VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
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
            p.executeUpdate();
        }
    }

    private static OffsetDateTime utc(Instant at) {
        return OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
    }
}
