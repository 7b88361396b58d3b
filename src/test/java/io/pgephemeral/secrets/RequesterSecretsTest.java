package io.pgephemeral.secrets;

import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.secrets.RequesterCredential.CredentialUnavailable;
import io.pgephemeral.testing.UnparsableSecret;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@code creds} makes of a secret's value, whichever store it came from (here: a string in memory). */
class RequesterSecretsTest {

    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    private static final SecretNames NAMES = new SecretNames("pg-ephemeral/");
    private static final String REQUESTER = "jane.doe@acme.example";

    private final PasswordGenerator generator = new PasswordGenerator();

    private static String value(String password, String extra) {
        return "{\"engine\":\"postgres\",\"host\":\"db.internal\",\"port\":5432,\"dbname\":\"app\","
                + "\"username\":\"eph_jane_x1\",\"password\":\"" + password + "\","
                + "\"expires_at\":\"2026-12-01T11:00:00Z\",\"target\":\"readonly\"" + extra + "}";
    }

    private static RequesterCredential read(String value) {
        return new RequesterSecrets(name -> Optional.of(value), NAMES).current(REQUESTER, "readonly", NOW);
    }

    @Test
    void readsTheValueTheBrokerWrites() {
        String password = generator.generate(32);
        RequesterCredential c = read(value(password, ""));
        assertEquals("eph_jane_x1", c.user());
        assertEquals(5432, c.port());
        assertEquals(password, c.password().reveal());
        assertEquals(Instant.parse("2026-12-01T11:00:00Z"), c.expiresAt());
    }

    /**
     * A value that names the password (or the user) twice means one login to whoever looked at it and
     * another to a reader that lets the last key win: refused, showing neither.
     */
    @Test
    void aValueNamingAKeyTwiceIsRefusedWithoutShowingEither() {
        String first = generator.generate(32);
        String second = generator.generate(32);
        CredentialUnavailable e = assertThrows(CredentialUnavailable.class,
                () -> read(value(first, ",\"password\":\"" + second + "\"")));
        assertEquals("secret " + NAMES.of(REQUESTER, "readonly") + " is not a pg-ephemeral credential"
                + " (not one JSON object with each key once)", e.getMessage());
    }

    @Test
    void aValueThatIsNotJsonIsNotQuoted() {
        UnparsableSecret secret = UnparsableSecret.of(generator);
        CredentialUnavailable e = assertThrows(CredentialUnavailable.class, () -> read(secret.value()));
        assertFalse(e.getMessage().contains(secret.password()), e.getMessage());
        assertTrue(e.getMessage().endsWith("(not one JSON object with each key once)"), e.getMessage());
    }
}
