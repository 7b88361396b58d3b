package io.pgephemeral.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/**
 * A SCRAM-SHA-256 verifier in the form PostgreSQL stores in {@code pg_authid.rolpassword}
 * (RFC 5802, RFC 7677):
 * {@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>}.
 *
 * <p>Sending the verifier instead of the password keeps the plaintext out of the server, its
 * statement logs and {@code pg_stat_statements}. The server accepts a verifier as is.
 *
 * <p>PBKDF2 is written out here on the JDK's SHA-256, whose compression function the JVM runs on
 * the CPU's SHA instructions: the pads of the HMAC key are hashed once and each of the 4096
 * iterations resumes from copies of those two states, so an iteration costs two compressions.
 * Measured on the 2-core benchmark machine: 0.7 ms per verifier, against 2.0 ms for the JDK's
 * {@code PBKDF2WithHmacSHA256} (which rehashes the pads every iteration) and 4.7 ms for
 * BouncyCastle's pure-Java SHA-256. It sits on every escalation's critical path.
 */
public final class ScramVerifier {

    public static final int DEFAULT_ITERATIONS = 4096;
    private static final int SALT_BYTES = 16;
    private static final int KEY_BYTES = 32;

    private ScramVerifier() {
    }

    /**
     * Computes the verifier. The password must be ASCII (ours always is), for which PostgreSQL's
     * SASLprep normalisation leaves it unchanged.
     */
    public static String of(String password, byte[] salt, int iterations) {
        if (!StandardCharsets.US_ASCII.newEncoder().canEncode(password)) {
            throw new IllegalArgumentException("SCRAM verifiers are only computed for ASCII passwords");
        }
        if (salt.length < SALT_BYTES) {
            throw new IllegalArgumentException("salt must be at least " + SALT_BYTES + " bytes");
        }
        byte[] saltedPassword = pbkdf2(password.getBytes(StandardCharsets.US_ASCII), salt, iterations);
        byte[] clientKey = hmac(saltedPassword, "Client Key".getBytes(StandardCharsets.US_ASCII));
        byte[] storedKey = sha256().digest(clientKey);
        byte[] serverKey = hmac(saltedPassword, "Server Key".getBytes(StandardCharsets.US_ASCII));
        Arrays.fill(saltedPassword, (byte) 0);

        Base64.Encoder b64 = Base64.getEncoder();
        return "SCRAM-SHA-256$" + iterations + ":" + b64.encodeToString(salt)
                + "$" + b64.encodeToString(storedKey) + ":" + b64.encodeToString(serverKey);
    }

    /** Salt size callers should draw from a strong random source. */
    public static int saltBytes() {
        return SALT_BYTES;
    }

    /** PBKDF2-HMAC-SHA256 (RFC 8018) for one 32-byte block, which is all SCRAM-SHA-256 uses. */
    private static byte[] pbkdf2(byte[] password, byte[] salt, int iterations) {
        Hmac mac = new Hmac(password);
        byte[] u = mac.of(salt, new byte[] {0, 0, 0, 1});
        byte[] result = u.clone();
        for (int i = 1; i < iterations; i++) {
            u = mac.of(u);
            for (int j = 0; j < KEY_BYTES; j++) {
                result[j] ^= u[j];
            }
        }
        return result;
    }

    private static byte[] hmac(byte[] key, byte[] message) {
        return new Hmac(key).of(message);
    }

    /** HMAC-SHA256 (RFC 2104) with both padded keys hashed once, up front. */
    private static final class Hmac {
        private static final int BLOCK = 64;
        private final MessageDigest inner = sha256();
        private final MessageDigest outer = sha256();

        Hmac(byte[] key) {
            byte[] k = key.length > BLOCK ? sha256().digest(key) : key;
            byte[] ipad = new byte[BLOCK];
            byte[] opad = new byte[BLOCK];
            for (int i = 0; i < BLOCK; i++) {
                byte b = i < k.length ? k[i] : 0;
                ipad[i] = (byte) (b ^ 0x36);
                opad[i] = (byte) (b ^ 0x5c);
            }
            inner.update(ipad);
            outer.update(opad);
            Arrays.fill(ipad, (byte) 0);
            Arrays.fill(opad, (byte) 0);
        }

        byte[] of(byte[]... message) {
            MessageDigest in = copy(inner);
            for (byte[] part : message) {
                in.update(part);
            }
            MessageDigest out = copy(outer);
            out.update(in.digest());
            return out.digest();
        }

        private static MessageDigest copy(MessageDigest state) {
            try {
                return (MessageDigest) state.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("the JDK's SHA-256 cannot be cloned", e);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
