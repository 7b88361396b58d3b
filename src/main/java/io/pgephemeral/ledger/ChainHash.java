package io.pgephemeral.ledger;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.util.encoders.Hex;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The ledger's hash chain: {@code hash = SHA-256(encoding(row, prev_hash))}, lower-case hex. The
 * encoding is documented in docs/auditors-and-requesters.md so that anyone can check the chain
 * without this code; change it only together with {@link #VERSION}.
 *
 * <p>The encoding is the fields below, in this order, each as one byte {@code 0x00} when SQL NULL,
 * else one byte {@code 0x01}, the length of its UTF-8 bytes as a 4-byte big-endian integer, and
 * those bytes. Length prefixes make it unambiguous: no two different rows encode alike, whatever
 * characters they hold. Numbers are decimal, timestamps are microseconds since the Unix epoch
 * (PostgreSQL's own precision), the UUID is lower-case with hyphens.
 */
public final class ChainHash {

    /** The first field of every encoding, so a future encoding can never be confused with this one. */
    public static final String VERSION = "pg-ephemeral-ledger-v1";

    /** The {@code prev_hash} of the first row of a chain. */
    public static final String GENESIS = "0".repeat(64);

    private static final Pattern HEX_256 = Pattern.compile("[0-9a-f]{64}");

    private ChainHash() {
    }

    /** The hash of {@code entry} (with its {@code seq} assigned) following {@code prevHash}. */
    public static String of(LedgerEntry entry, String prevHash) {
        if (entry.seq() == null) {
            throw new IllegalArgumentException("an entry is hashed with its seq");
        }
        SHA256Digest digest = new SHA256Digest();
        byte[] encoded = encode(entry, prevHash);
        digest.update(encoded, 0, encoded.length);
        byte[] out = new byte[digest.getDigestSize()];
        digest.doFinal(out, 0);
        return Hex.toHexString(out);
    }

    /** The canonical encoding; public so that tests and auditors' tools can compare bytes. */
    public static byte[] encode(LedgerEntry e, String prevHash) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        field(out, VERSION);
        field(out, Long.toString(e.seq()));
        field(out, e.credentialId().toString().toLowerCase(Locale.ROOT));
        field(out, e.runId());
        field(out, Integer.toString(e.attempt()));
        field(out, e.event());
        field(out, micros(e.recordedAt()));
        field(out, e.requester());
        field(out, e.approver());
        field(out, e.reason());
        field(out, e.target());
        field(out, e.roleName());
        field(out, e.secretId());
        field(out, micros(e.validUntil()));
        field(out, e.actor());
        field(out, e.detail());
        field(out, prevHash);
        return out.toByteArray();
    }

    /** Whether {@code s} looks like a hash this class writes. */
    public static boolean wellFormed(String s) {
        return s != null && HEX_256.matcher(s).matches();
    }

    /** What PostgreSQL keeps of an instant: timestamptz holds microseconds. */
    public static Instant storable(Instant at) {
        return at.truncatedTo(ChronoUnit.MICROS);
    }

    private static String micros(Instant at) {
        return at == null ? null : Long.toString(ChronoUnit.MICROS.between(Instant.EPOCH, at));
    }

    private static void field(ByteArrayOutputStream out, String value) {
        if (value == null) {
            out.write(0);
            return;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.write(1);
        out.write(bytes.length >>> 24);
        out.write(bytes.length >>> 16);
        out.write(bytes.length >>> 8);
        out.write(bytes.length);
        out.write(bytes, 0, bytes.length);
    }
}
