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

    private final DataSource dataSource;
    private final LedgerTable table;
    private final String prelude;

    public LedgerChain(DataSource dataSource, LedgerTable table) {
        this.dataSource = dataSource;
        this.table = table;
        String events = literal(table.events());
        // Bounded, so that a stuck writer shows up as an error instead of a hung Lambda.
        this.prelude = "SET LOCAL lock_timeout = '10s';"
                + " SELECT pg_advisory_xact_lock(" + LOCK_CLASS + ", " + events + "::regclass::oid::int4);"
                + " SELECT hash FROM " + table.events() + " ORDER BY seq DESC LIMIT 1;"
                + " SELECT nextval(pg_get_serial_sequence(" + events + ", 'seq'))";
    }

    /** Records {@code entry} at the end of the chain and returns it with its seq and hashes. */
    public LedgerEntry append(LedgerEntry entry) throws SQLException {
        return append(entry, false);
    }

    /**
     * Records {@code entry} unless its credential already has a closing event (revoked, disabled,
     * expired, failed); the check runs under the chain's lock, which every writer takes, so no
     * close can slip in between. Returns null when the credential was closed.
     */
    public LedgerEntry appendIfOpen(LedgerEntry entry) throws SQLException {
        return append(entry, true);
    }

    private LedgerEntry append(LedgerEntry entry, boolean onlyIfOpen) throws SQLException {
        LedgerEntry storable = new LedgerEntry(null, entry.credentialId(), entry.runId(), entry.attempt(),
                entry.event(), ChainHash.storable(entry.recordedAt()), entry.requester(), entry.approver(),
                entry.reason(), entry.target(), entry.roleName(), entry.secretId(),
                ChainHash.storable(entry.validUntil()), entry.actor(), entry.detail());
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                String prevHash;
                long seq;
                try (Statement s = c.createStatement()) {
                    s.execute(onlyIfOpen ? prelude + "; " + closedCheck(entry.credentialId()) : prelude);
                    s.getMoreResults(); // the lock
                    ResultSet head = next(s);
                    prevHash = head.next() ? head.getString(1) : null;
                    ResultSet number = next(s);
                    number.next();
                    seq = number.getLong(1);
                    if (onlyIfOpen) {
                        ResultSet closed = next(s);
                        closed.next();
                        if (closed.getBoolean(1)) {
                            c.rollback();
                            return null;
                        }
                    }
                }
                prevHash = prevHash == null ? ChainHash.GENESIS : prevHash;
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

    /** The next result of a multi-statement batch, which must be a row set. */
    private static ResultSet next(Statement s) throws SQLException {
        if (!s.getMoreResults()) {
            throw new SQLException("the ledger's append batch returned fewer results than statements");
        }
        return s.getResultSet();
    }

    /** Whether the credential has a closing event. A UUID's text is hex digits and dashes: safe to inline. */
    private String closedCheck(java.util.UUID credentialId) {
        return "SELECT EXISTS (SELECT 1 FROM " + table.events() + " WHERE credential_id = '" + credentialId
                + "'::uuid AND event IN ('revoked', 'disabled', 'expired', 'failed'))";
    }

    /** A quoted SQL string literal of a name we built ourselves (schema names are identifiers). */
    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
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
