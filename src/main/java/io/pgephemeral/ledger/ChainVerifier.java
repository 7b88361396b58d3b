package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Walks the ledger in recording order and checks every link of the hash chain: each row's
 * {@code prev_hash} must be the hash of the row before it (the genesis value for the first), and
 * its {@code hash} must be what its content gives. A changed field breaks its own row; a deleted,
 * inserted or moved row breaks the link of the row after it; recomputing one row's hash moves the
 * break to the next row. Only rewriting the whole tail goes unseen, which is what comparing with
 * the chain heads in the broker's log ({@code anchors}) catches.
 *
 * <p>Reads through {@code audit_events} with a cursor, so memory stays constant however long the
 * ledger is.
 */
public final class ChainVerifier {

    /** Rows fetched per round trip. */
    public static final int FETCH_SIZE = 2000;

    /** The first row that is wrong, and how. */
    public record Break(long seq, String problem) {
    }

    /**
     * @param rows      rows read
     * @param unchained rows from before the chain began (written before migration V2), not covered
     * @param verified  chained rows found intact (all of them, or those before the break)
     * @param head      the last intact row's seq and hash; null if none
     * @param broken    the first break, or null when the chain is intact
     */
    public record Result(long rows, long unchained, long verified, @Nullable Head head, @Nullable Break broken) {
        public boolean intact() {
            return broken == null;
        }
    }

    public record Head(long seq, String hash) {
    }

    private final LedgerTable table;

    public ChainVerifier(LedgerTable table) {
        this.table = table;
    }

    /**
     * @param anchors  seq to hash, as the broker logged them: each must be in the chain as logged
     * @param progress told the number of rows read so far, every {@link #FETCH_SIZE} rows
     */
    public Result verify(Connection c, Map<Long, String> anchors, LongConsumer progress) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false); // pgjdbc streams with a cursor only inside a transaction
        try (Statement s = c.createStatement()) {
            s.setFetchSize(FETCH_SIZE);
            try (ResultSet r = s.executeQuery("SELECT * FROM " + table.auditEvents() + " ORDER BY seq")) {
                return walk(r, anchors, progress);
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
    }

    private static Result walk(ResultSet r, Map<Long, String> anchors, LongConsumer progress) throws SQLException {
        long rows = 0;
        long unchained = 0;
        LedgerEntry previous = null;
        int anchorsSeen = 0;
        while (r.next()) {
            LedgerEntry e = LedgerTable.entry(r);
            rows++;
            if (rows % FETCH_SIZE == 0) {
                progress.accept(rows);
            }
            if (e.hash() == null && e.prevHash() == null && previous == null) {
                unchained++;
                continue;
            }
            String problem = problem(e, previous);
            if (problem == null && anchors.containsKey(e.seq())) {
                anchorsSeen++;
                if (!anchors.get(e.seq()).equals(e.hash())) {
                    problem = "its hash " + e.hash() + " is not the one logged for seq " + e.seq() + " ("
                            + anchors.get(e.seq()) + "): the chain was rewritten from here or earlier";
                }
            }
            if (problem != null) {
                return new Result(rows, unchained, rows - 1 - unchained, head(previous), new Break(e.seq(), problem));
            }
            previous = e;
        }
        progress.accept(rows);
        Head head = head(previous);
        if (anchorsSeen < anchors.size()) {
            long missing = anchors.keySet().stream().sorted().filter(seq -> head == null || seq > head.seq())
                    .findFirst().orElse(anchors.keySet().iterator().next());
            return new Result(rows, unchained, rows - unchained, head, new Break(missing, "a row the broker logged (seq " + missing
                    + ", hash " + anchors.get(missing) + ") is not in the ledger: it was deleted or the ledger truncated"));
        }
        return new Result(rows, unchained, rows - unchained, head, null);
    }

    private static @Nullable Head head(@Nullable LedgerEntry last) {
        return last == null ? null : new Head(last.seq(), last.hash());
    }

    /** What is wrong with {@code e} following {@code previous}, or null. */
    private static @Nullable String problem(LedgerEntry e, @Nullable LedgerEntry previous) {
        if (e.hash() == null || e.prevHash() == null) {
            return "it has no " + (e.hash() == null ? "hash" : "prev_hash") + ", yet the chain began before it"
                    + (previous == null ? "" : " (seq " + previous.seq() + ")")
                    + ": it was inserted outside the broker, or its hashes were removed";
        }
        if (!ChainHash.wellFormed(e.hash()) || !ChainHash.wellFormed(e.prevHash())) {
            return "its hash or prev_hash is not 64 lower-case hex digits";
        }
        if (previous == null && !ChainHash.GENESIS.equals(e.prevHash())) {
            return "it is the first chained row but its prev_hash is " + e.prevHash()
                    + ", not the genesis value: the rows before it were deleted";
        }
        if (previous != null && !previous.hash().equals(e.prevHash())) {
            return "its prev_hash " + e.prevHash() + " is not the hash of the row before it (seq " + previous.seq()
                    + ", " + previous.hash() + "): a row was deleted, inserted or moved here, or the row before"
                    + " it was changed and its hash recomputed";
        }
        String expected = ChainHash.of(e, e.prevHash());
        if (!expected.equals(e.hash())) {
            return "its content does not match its hash (stored " + e.hash() + ", computed " + expected
                    + "): a field of this row was changed";
        }
        return null;
    }
}
