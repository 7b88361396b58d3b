package io.pgephemeral.crypto;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ScramVerifierTest {

    /**
     * RFC 7677's SCRAM-SHA-256 exchange: user "user", password "pencil", salt and nonces as printed
     * there. A verifier is right if the server signature it implies is the RFC's, and if the RFC's
     * client proof opens to a client key whose hash is the verifier's StoredKey.
     */
    @Test
    void matchesTheRfc7677Exchange() throws Exception {
        byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
        String verifier = ScramVerifier.of("pencil", salt, 4096);
        String[] parts = verifier.split("[$:]");
        assertEquals("SCRAM-SHA-256", parts[0]);
        assertEquals("4096", parts[1]);
        assertEquals("W22ZaJ0SNY7soEsUEjb6gQ==", parts[2]);
        byte[] storedKey = Base64.getDecoder().decode(parts[3]);
        byte[] serverKey = Base64.getDecoder().decode(parts[4]);

        String authMessage = "n=user,r=rOprNGfwEbeRWgbNEkqO,"
                + "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
                + "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        assertEquals("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
                Base64.getEncoder().encodeToString(hmac(serverKey, authMessage)));

        byte[] clientProof = Base64.getDecoder().decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        byte[] clientSignature = hmac(storedKey, authMessage);
        byte[] clientKey = new byte[clientProof.length];
        for (int i = 0; i < clientKey.length; i++) {
            clientKey[i] = (byte) (clientProof[i] ^ clientSignature[i]);
        }
        assertArrayEquals(storedKey, MessageDigest.getInstance("SHA-256").digest(clientKey));
    }

    /** The same keys from the JDK's own PBKDF2 and HMAC, an implementation independent of ours. */
    @Test
    void agreesWithTheJdk() throws Exception {
        PasswordGenerator generator = new PasswordGenerator();
        String password = generator.generate(32);
        byte[] salt = generator.randomBytes(16);
        byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(password.toCharArray(), salt, 4096, 256)).getEncoded();
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(salted, "HmacSHA256"));
        byte[] clientKey = mac.doFinal("Client Key".getBytes(StandardCharsets.US_ASCII));
        byte[] serverKey = mac.doFinal("Server Key".getBytes(StandardCharsets.US_ASCII));
        Base64.Encoder b64 = Base64.getEncoder();
        String expected = "SCRAM-SHA-256$4096:" + b64.encodeToString(salt) + "$"
                + b64.encodeToString(MessageDigest.getInstance("SHA-256").digest(clientKey)) + ":"
                + b64.encodeToString(serverKey);
        assertEquals(expected, ScramVerifier.of(password, salt, 4096));
    }

    @Test
    void refusesWhatItCannotDoRight() {
        assertThrows(IllegalArgumentException.class, () -> ScramVerifier.of("pässword", new byte[16], 4096));
        assertThrows(IllegalArgumentException.class, () -> ScramVerifier.of("password", new byte[8], 4096));
    }

    private static byte[] hmac(byte[] key, String message) {
        HMac mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(key));
        byte[] in = message.getBytes(StandardCharsets.US_ASCII);
        mac.update(in, 0, in.length);
        byte[] out = new byte[32];
        mac.doFinal(out, 0);
        return out;
    }
}
