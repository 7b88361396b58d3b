package io.pgephemeral.crypto;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.prng.SP800SecureRandomBuilder;

import java.security.SecureRandom;

/**
 * Generates passwords from a NIST SP 800-90A Hash_DRBG (SHA-512).
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

    private final org.bouncycastle.crypto.prng.SP800SecureRandom drbg;

    @Inject
    public PasswordGenerator() {
        this(new SecureRandom());
    }

    /** A generator drawing its entropy from {@code entropySource} (the operating system's, normally). */
    public PasswordGenerator(SecureRandom entropySource) {
        this.drbg = new SP800SecureRandomBuilder(entropySource, true)
                .setPersonalizationString("pg-ephemeral password".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .buildHash(new SHA512Digest(), null, true);
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
                drbg.nextBytes(pool);
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
            drbg.reseed((byte[]) null);
        }
    }

    /** Random bytes from the same generator, for salts and name suffixes. */
    public byte[] randomBytes(int count) {
        byte[] out = new byte[count];
        synchronized (drbg) {
            drbg.nextBytes(out);
        }
        return out;
    }
}
