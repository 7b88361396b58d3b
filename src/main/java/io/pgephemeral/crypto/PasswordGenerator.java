package io.pgephemeral.crypto;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.nio.charset.StandardCharsets;
import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.SecureRandomParameters;

/**
 * Generates passwords from the JDK's NIST SP 800-90A DRBG (Hash_DRBG, SHA-256, 256-bit strength).
 * The JDK's own rather than BouncyCastle's: a cold start verified BouncyCastle's signed jar before
 * the first password, about a tenth of a second of a two-second start on the benchmark machine.
 *
 * <p>The DRBG runs with prediction resistance, so every password draws fresh entropy from the
 * operating system. That also makes a process restored from a snapshot (Lambda SnapStart) produce
 * different passwords from its siblings: no state captured before the snapshot decides the output.
 *
 * <p>Passwords use letters and digits only: they survive URIs, {@code .pgpass}, shell variables and
 * SASLprep unchanged, and 32 of them carry about 190 bits.
 */
@Singleton
public final class PasswordGenerator {

    static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final int UNBIASED_LIMIT = 256 - 256 % ALPHABET.length();

    private static final int STRENGTH = 256;
    /** Every draw asks for prediction resistance: fresh entropy from the operating system. */
    private static final SecureRandomParameters FRESH = DrbgParameters.nextBytes(STRENGTH, true, null);

    private final SecureRandom drbg;

    @Inject
    public PasswordGenerator() {
        this(drbg());
    }

    /**
     * A generator drawing from {@code drbg}, which must honour {@link DrbgParameters.NextBytes}
     * with prediction resistance and {@link DrbgParameters.Reseed} (tests give a reproducible one).
     */
    public PasswordGenerator(SecureRandom drbg) {
        this.drbg = drbg;
    }

    private static SecureRandom drbg() {
        try {
            return SecureRandom.getInstance("DRBG", DrbgParameters.instantiation(STRENGTH,
                    DrbgParameters.Capability.PR_AND_RESEED,
                    "pg-ephemeral password".getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK offers no DRBG with prediction resistance at "
                    + STRENGTH + " bits: " + e.getMessage(), e);
        }
    }

    /** A new password of {@code length} characters, chosen uniformly from {@link #ALPHABET}. */
    public String generate(int length) {
        if (length < 16 || length > 128) {
            throw new IllegalArgumentException("password length must be between 16 and 128, got " + length);
        }
        char[] out = new char[length];
        int filled = 0;
        // One draw per password (prediction resistance reseeds the DRBG from the operating system
        // on every draw, so per-character draws cost 32 reseeds), then rejection sampling: a byte
        // below 248 = 4 x 62 maps uniformly onto the alphabet, anything above is dropped.
        byte[] pool = new byte[length + length / 2];
        while (filled < length) {
            synchronized (drbg) {
                drbg.nextBytes(pool, FRESH);
            }
            for (int i = 0; i < pool.length && filled < length; i++) {
                int b = pool[i] & 0xff;
                if (b < UNBIASED_LIMIT) {
                    out[filled++] = ALPHABET.charAt(b % ALPHABET.length());
                }
            }
        }
        java.util.Arrays.fill(pool, (byte) 0);
        return new String(out);
    }

    /**
     * Mixes fresh entropy from the operating system into the generator now. Called when Lambda
     * restores the process from a SnapStart snapshot: every environment restored from one snapshot
     * starts with the same generator state, and this is the point where they must part ways (the
     * per-draw prediction resistance would part them too; this does not rely on it).
     */
    public void reseed() {
        synchronized (drbg) {
            drbg.reseed(DrbgParameters.reseed(true, null));
        }
    }

    /** Random bytes from the same generator, for salts and name suffixes. */
    public byte[] randomBytes(int count) {
        byte[] out = new byte[count];
        synchronized (drbg) {
            drbg.nextBytes(out, FRESH);
        }
        return out;
    }
}
