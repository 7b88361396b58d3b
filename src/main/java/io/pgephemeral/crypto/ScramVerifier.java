package io.pgephemeral.crypto;

import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A SCRAM-SHA-256 verifier in the form PostgreSQL stores in {@code pg_authid.rolpassword}
 * (RFC 5802, RFC 7677):
 * {@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>}.
 *
 * <p>Sending the verifier instead of the password keeps the plaintext out of the server, its
 * statement logs and {@code pg_stat_statements}. The server accepts a verifier as is.
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
        PKCS5S2ParametersGenerator pbkdf2 = new PKCS5S2ParametersGenerator(new SHA256Digest());
        pbkdf2.init(password.getBytes(StandardCharsets.US_ASCII), salt, iterations);
        byte[] saltedPassword = ((KeyParameter) pbkdf2.generateDerivedMacParameters(KEY_BYTES * 8)).getKey();

        byte[] clientKey = hmac(saltedPassword, "Client Key");
        byte[] storedKey = sha256(clientKey);
        byte[] serverKey = hmac(saltedPassword, "Server Key");

        Base64.Encoder b64 = Base64.getEncoder();
        return "SCRAM-SHA-256$" + iterations + ":" + b64.encodeToString(salt)
                + "$" + b64.encodeToString(storedKey) + ":" + b64.encodeToString(serverKey);
    }

    /** Salt size callers should draw from a strong random source. */
    public static int saltBytes() {
        return SALT_BYTES;
    }

    private static byte[] hmac(byte[] key, String message) {
        HMac mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(key));
        byte[] in = message.getBytes(StandardCharsets.US_ASCII);
        mac.update(in, 0, in.length);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return out;
    }

    private static byte[] sha256(byte[] data) {
        Digest digest = new SHA256Digest();
        digest.update(data, 0, data.length);
        byte[] out = new byte[digest.getDigestSize()];
        digest.doFinal(out, 0);
        return out;
    }
}
