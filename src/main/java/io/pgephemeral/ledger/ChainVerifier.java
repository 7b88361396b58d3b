package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
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
 * <p>Reads {@code audit_events} as one binary {@code COPY ... TO STDOUT}: the server streams rows
 * while this side hashes them, with no round trip per batch as a cursor has, and memory stays
 * constant however long the ledger is (the server waits while the socket is full). Binary COPY
 * gives every field as a length and its bytes, the text fields as UTF-8 and the timestamps as
 * integers, so each row goes from one reused buffer ({@link BinaryCopyRows}) into one reused
 * {@link ChainHash.Hasher} without an object per row: no entry, no string, no parsed timestamp.
 */
public final class ChainVerifier {

    /** Progress is reported every this many rows. */
    public static final int PROGRESS_EVERY = 10_000;

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
     * @param progress told the number of rows read so far, every {@link #PROGRESS_EVERY} rows
     */
    public Result verify(Connection c, Map<Long, String> anchors, LongConsumer progress) throws SQLException {
        CopyOut copy = c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT seq, credential_id, run_id,"
                + " attempt, event, recorded_at, requester, approver, reason, target, role_name, secret_id, valid_until,"
                + " actor, detail, prev_hash, hash FROM " + table.auditEvents() + " ORDER BY seq) TO STDOUT (FORMAT binary)");
        try {
            return walk(new BinaryCopyRows(copy::readFromCopy, COLUMNS), anchors, progress);
        } finally {
            if (copy.isActive()) { // stopped at a break (or failed): the rest is not needed
                try {
                    copy.cancelCopy();
                } catch (SQLException e) {
                    // The server had sent everything before the cancel came: nothing was left to stop.
                }
            }
        }
    }

    // Columns, in the order of the encoding's fields after the version tag; then the row's hash.
    private static final int SEQ = 0;
    private static final int CREDENTIAL_ID = 1;
    private static final int ATTEMPT = 3;
    private static final int RECORDED_AT = 5;
    private static final int VALID_UNTIL = 12;
    private static final int PREV_HASH = 15;
    private static final int HASH = 16;
    private static final int COLUMNS = 17;

    /** PostgreSQL's timestamps count microseconds from 2000-01-01 UTC; the encoding's from 1970. */
    private static final long MICROS_1970_TO_2000 = 946_684_800_000_000L;

    private static Result walk(BinaryCopyRows r, Map<Long, String> anchors, LongConsumer progress) throws SQLException {
        ChainHash.Hasher hasher = new ChainHash.Hasher();
        byte[] computed = new byte[64];
        byte[] previousHash = new byte[64]; // of the last intact chained row
        boolean chainBegun = false;
        long previousSeq = 0;
        long rows = 0;
        long unchained = 0;
        int anchorsSeen = 0;
        while (r.next()) {
            byte[] b = r.buffer();
            rows++;
            if (rows % PROGRESS_EVERY == 0) {
                progress.accept(rows);
            }
            long seq = r.int8(SEQ);
            if (r.isNull(HASH) && r.isNull(PREV_HASH) && !chainBegun) {
                unchained++;
                continue;
            }
            String problem = links(r, previousSeq, chainBegun ? previousHash : null);
            if (problem == null) {
                hasher.start();
                hasher.field(seq);
                hasher.uuid(b, r.offset(CREDENTIAL_ID));
                text(hasher, r, 2);
                hasher.field(r.int4(ATTEMPT));
                text(hasher, r, 4);
                timestamp(hasher, r, RECORDED_AT);
                for (int i = 6; i < VALID_UNTIL; i++) {
                    text(hasher, r, i);
                }
                timestamp(hasher, r, VALID_UNTIL);
                for (int i = VALID_UNTIL + 1; i <= PREV_HASH; i++) {
                    text(hasher, r, i);
                }
                hasher.hexHash(computed);
                if (!Arrays.equals(computed, 0, 64, b, r.offset(HASH), r.offset(HASH) + 64)) {
                    problem = "its content does not match its hash (stored " + r.string(HASH) + ", computed "
                            + ascii(computed) + "): a field of this row was changed";
                }
            }
            if (problem == null && !anchors.isEmpty() && anchors.containsKey(seq)) {
                anchorsSeen++;
                if (!anchors.get(seq).equals(r.string(HASH))) {
                    problem = "its hash " + r.string(HASH) + " is not the one logged for seq " + seq + " ("
                            + anchors.get(seq) + "): the chain was rewritten from here or earlier";
                }
            }
            if (problem != null) {
                return new Result(rows, unchained, rows - 1 - unchained,
                        chainBegun ? new Head(previousSeq, ascii(previousHash)) : null, new Break(seq, problem));
            }
            previousSeq = seq;
            System.arraycopy(b, r.offset(HASH), previousHash, 0, 64);
            chainBegun = true;
        }
        progress.accept(rows);
        Head head = chainBegun ? new Head(previousSeq, ascii(previousHash)) : null;
        if (anchorsSeen < anchors.size()) {
            long missing = anchors.keySet().stream().sorted().filter(seq -> head == null || seq > head.seq())
                    .findFirst().orElse(anchors.keySet().iterator().next());
            return new Result(rows, unchained, rows - unchained, head, new Break(missing, "a row the broker logged (seq " + missing
                    + ", hash " + anchors.get(missing) + ") is not in the ledger: it was deleted or the ledger truncated"));
        }
        return new Result(rows, unchained, rows - unchained, head, null);
    }

    /** What is wrong with the links of the current row following the intact row {@code previousSeq}, or null. */
    private static @Nullable String links(BinaryCopyRows r, long previousSeq, byte @Nullable [] previousHash) {
        if (r.isNull(HASH) || r.isNull(PREV_HASH)) {
            return "it has no " + (r.isNull(HASH) ? "hash" : "prev_hash") + ", yet the chain began before it"
                    + (previousHash == null ? "" : " (seq " + previousSeq + ")")
                    + ": it was inserted outside the broker, or its hashes were removed";
        }
        byte[] b = r.buffer();
        if (!ChainHash.wellFormed(b, r.offset(HASH), r.length(HASH))
                || !ChainHash.wellFormed(b, r.offset(PREV_HASH), r.length(PREV_HASH))) {
            return "its hash or prev_hash is not 64 lower-case hex digits";
        }
        int prev = r.offset(PREV_HASH);
        if (previousHash == null && !Arrays.equals(GENESIS, 0, 64, b, prev, prev + 64)) {
            return "it is the first chained row but its prev_hash is " + r.string(PREV_HASH)
                    + ", not the genesis value: the rows before it were deleted";
        }
        if (previousHash != null && !Arrays.equals(previousHash, 0, 64, b, prev, prev + 64)) {
            return "its prev_hash " + r.string(PREV_HASH) + " is not the hash of the row before it (seq " + previousSeq
                    + ", " + ascii(previousHash) + "): a row was deleted, inserted or moved here, or the row before"
                    + " it was changed and its hash recomputed";
        }
        return null;
    }

    private static void text(ChainHash.Hasher hasher, BinaryCopyRows r, int column) {
        if (r.isNull(column)) {
            hasher.field((byte[]) null);
        } else {
            hasher.field(r.buffer(), r.offset(column), r.length(column));
        }
    }

    private static void timestamp(ChainHash.Hasher hasher, BinaryCopyRows r, int column) {
        if (r.isNull(column)) {
            hasher.field((byte[]) null);
            return;
        }
        long since2000 = r.int8(column);
        if (since2000 == Long.MAX_VALUE || since2000 == Long.MIN_VALUE) {
            // 'infinity': no instant the broker hashes; whatever it encodes to, it will not match.
            hasher.field(since2000 == Long.MAX_VALUE ? "infinity" : "-infinity");
        } else {
            hasher.field(since2000 + MICROS_1970_TO_2000);
        }
    }

    private static final byte[] GENESIS = ChainHash.GENESIS.getBytes(StandardCharsets.US_ASCII);

    private static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
