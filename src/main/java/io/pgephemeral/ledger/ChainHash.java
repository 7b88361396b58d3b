package io.pgephemeral.ledger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Locale;

/**
 * The ledger's hash chain: {@code hash = SHA-256(encoding(row, prev_hash))}, lower-case hex. The
 * encoding is documented in docs/ledger-hash-chain.md so that anyone can check the chain without
 * this code; change it only together with {@link #VERSION}.
 *
 * <p>The encoding is the fields below, in this order, each as one byte {@code 0x00} when SQL NULL,
 * else one byte {@code 0x01}, the length of its UTF-8 bytes as a 4-byte big-endian integer, and
 * those bytes. Length prefixes make it unambiguous: no two different rows encode alike, whatever
 * characters they hold. Numbers are decimal, timestamps are microseconds since the Unix epoch
 * (PostgreSQL's own precision), the UUID is lower-case with hyphens.
 *
 * <p>{@link Hasher} builds encodings field by field; {@link #encode} and {@link #of} give it a
 * {@link LedgerEntry}, {@link ChainVerifier} the bytes PostgreSQL sends, so there is one encoder.
 */
public final class ChainHash {

    /** The first field of every encoding, so a future encoding can never be confused with this one. */
    public static final String VERSION = "pg-ephemeral-ledger-v1";

    /** The {@code prev_hash} of the first row of a chain. */
    public static final String GENESIS = "0".repeat(64);

    private static final byte[] VERSION_BYTES = VERSION.getBytes(StandardCharsets.UTF_8);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /** One per thread: the broker appends from several, and a digest is not thread-safe. */
    private static final ThreadLocal<Hasher> HASHERS = ThreadLocal.withInitial(Hasher::new);

    private ChainHash() {
    }

    /** The hash of {@code entry} (with its {@code seq} assigned) following {@code prevHash}. */
    public static String of(LedgerEntry entry, String prevHash) {
        if (entry.seq() == null) {
            throw new IllegalArgumentException("an entry is hashed with its seq");
        }
        Hasher hasher = HASHERS.get();
        byte[] hex = new byte[64];
        hasher.entry(entry, prevHash).hexHash(hex);
        return new String(hex, StandardCharsets.US_ASCII);
    }

    /** The canonical encoding; public so that tests and auditors' tools can compare bytes. */
    public static byte[] encode(LedgerEntry e, String prevHash) {
        return new Hasher().entry(e, prevHash).encoding();
    }

    /** Whether {@code s} looks like a hash this class writes: 64 lower-case hex digits. */
    public static boolean wellFormed(String s) {
        if (s == null || s.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            if (!hexDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** The same for {@code n} bytes of {@code s} from {@code offset}, a hash as read from the database. */
    public static boolean wellFormed(byte[] s, int offset, int n) {
        if (n != 64) {
            return false;
        }
        for (int i = offset; i < offset + 64; i++) {
            if (!hexDigit((char) s[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean hexDigit(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }

    /** What PostgreSQL keeps of an instant: timestamptz holds microseconds. */
    public static Instant storable(Instant at) {
        return at.truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * Builds one encoding after another in a buffer it keeps, and hashes them with a digest it keeps:
     * walking a chain of a million rows allocates nothing per row here. Not thread-safe.
     *
     * <p>{@link #start} writes the version tag; then come the row's fields in the documented order,
     * {@code prev_hash} last; then {@link #hexHash} or {@link #encoding}.
     */
    public static final class Hasher {

        private final MessageDigest sha256;
        private final byte[] digest = new byte[32];
        private final byte[] digits = new byte[20];
        private byte[] buffer = new byte[1024];
        private int length;

        public Hasher() {
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java runtime has SHA-256", e);
            }
        }

        /** Forgets the previous encoding and writes the version tag. */
        public Hasher start() {
            length = 0;
            return field(VERSION_BYTES);
        }

        /** A field given as its UTF-8 bytes; null for SQL NULL. */
        public Hasher field(byte[] utf8) {
            if (utf8 == null) {
                room(1);
                buffer[length++] = 0;
                return this;
            }
            int n = utf8.length;
            room(5 + n);
            buffer[length] = 1;
            buffer[length + 1] = (byte) (n >>> 24);
            buffer[length + 2] = (byte) (n >>> 16);
            buffer[length + 3] = (byte) (n >>> 8);
            buffer[length + 4] = (byte) n;
            System.arraycopy(utf8, 0, buffer, length + 5, n);
            length += 5 + n;
            return this;
        }

        public Hasher field(String value) {
            return field(value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        }

        /** A number, in decimal. */
        public Hasher field(long value) {
            if (value == Long.MIN_VALUE) {
                return field(Long.toString(value));
            }
            int end = digits.length;
            int i = end;
            long v = Math.abs(value);
            do {
                digits[--i] = (byte) ('0' + v % 10);
                v /= 10;
            } while (v != 0);
            if (value < 0) {
                digits[--i] = '-';
            }
            return field(digits, i, end - i);
        }

        /** A field given as {@code n} UTF-8 bytes of {@code bytes} from {@code offset}. */
        public Hasher field(byte[] bytes, int offset, int n) {
            room(5 + n);
            buffer[length] = 1;
            buffer[length + 1] = (byte) (n >>> 24);
            buffer[length + 2] = (byte) (n >>> 16);
            buffer[length + 3] = (byte) (n >>> 8);
            buffer[length + 4] = (byte) n;
            System.arraycopy(bytes, offset, buffer, length + 5, n);
            length += 5 + n;
            return this;
        }

        /** A UUID given as its 16 bytes, in the text form: lower-case hex digits with hyphens. */
        public Hasher uuid(byte[] bytes, int offset) {
            room(5 + 36);
            buffer[length] = 1;
            buffer[length + 1] = 0;
            buffer[length + 2] = 0;
            buffer[length + 3] = 0;
            buffer[length + 4] = 36;
            int out = length + 5;
            for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10) {
                    buffer[out++] = '-';
                }
                buffer[out++] = HEX[(bytes[offset + i] >>> 4) & 0xf];
                buffer[out++] = HEX[bytes[offset + i] & 0xf];
            }
            length = out;
            return this;
        }

        /** A timestamp, as microseconds since the epoch; null for SQL NULL. */
        public Hasher micros(Instant at) {
            return at == null ? field((byte[]) null) : field(ChronoUnit.MICROS.between(Instant.EPOCH, at));
        }

        /** The whole encoding of {@code e} following {@code prevHash}. */
        Hasher entry(LedgerEntry e, String prevHash) {
            start();
            field(e.seq());
            field(e.credentialId().toString().toLowerCase(Locale.ROOT));
            field(e.runId());
            field(e.attempt());
            field(e.event());
            micros(e.recordedAt());
            field(e.requester());
            field(e.approver());
            field(e.reason());
            field(e.target());
            field(e.roleName());
            field(e.secretId());
            micros(e.validUntil());
            field(e.actor());
            field(e.detail());
            return field(prevHash);
        }

        /** The encoding built so far. */
        public byte[] encoding() {
            return Arrays.copyOf(buffer, length);
        }

        /** Writes the SHA-256 of the encoding, as 64 lower-case hex digits in ASCII, into {@code out}. */
        public void hexHash(byte[] out) {
            sha256.update(buffer, 0, length);
            try {
                sha256.digest(digest, 0, digest.length);
            } catch (java.security.DigestException e) {
                throw new IllegalStateException(e);
            }
            for (int i = 0; i < digest.length; i++) {
                out[2 * i] = HEX[(digest[i] >>> 4) & 0xf];
                out[2 * i + 1] = HEX[digest[i] & 0xf];
            }
        }

        private void room(int n) {
            if (length + n > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + n));
            }
        }
    }
}
