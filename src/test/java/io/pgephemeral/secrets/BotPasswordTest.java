package io.pgephemeral.secrets;

import io.micronaut.context.ApplicationContext;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.TestEnvironment;
import io.pgephemeral.testing.UnparsableSecret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the bot's secret is re-read after PostgreSQL rejected its password: every rotation of a
 * long-lived environment is picked up, yet a wrong password costs a bounded number of reads.
 * Against the fake Secrets Manager through the real SDK client; time is the test's own.
 */
class BotPasswordTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final FakeSecretsManager secrets = env.secretsManager();
    private static final Duration INTERVAL = Duration.ofSeconds(30);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final PasswordGenerator generator = new PasswordGenerator();
    private SecretsManagerClient client;
    private ApplicationContext context;
    private String secretId;

    @BeforeEach
    void start() {
        client = SecretsManagerClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        secretId = "pg-ephemeral-bot/db-password-" + UUID.randomUUID();
    }

    @AfterEach
    void stop() {
        client.deleteSecret(b -> b.secretId(secretId).forceDeleteWithoutRecovery(true));
        client.close();
        if (context != null) {
            context.close();
        }
    }

    private BotPassword botPassword(Map<String, Object> settings) {
        Map<String, Object> properties = new HashMap<>(Map.of("broker.db-password-reread-interval", "30s"));
        properties.putAll(settings);
        context = ApplicationContext.builder().properties(properties).start();
        return new BotPassword(context.getBean(BrokerConfig.class), () -> client, now::get);
    }

    private BotPassword fromSecret() {
        return botPassword(Map.of("broker.db-secret-id", secretId));
    }

    private String put(String password) {
        if (secrets.secret(secretId) == null) {
            client.createSecret(b -> b.name(secretId).secretString(password));
        } else {
            client.putSecretValue(b -> b.secretId(secretId).secretString(password));
        }
        return password;
    }

    private int reads() {
        return secrets.calls("GetSecretValue", secretId);
    }

    @Test
    void everyRotationIsPickedUpOnceTheIntervalHasPassed() {
        String first = put(generator.generate(32));
        BotPassword bot = fromSecret();
        assertEquals(first, bot.resolve());
        assertEquals(first, bot.resolve(), "kept, not read again");
        assertEquals(1, reads());

        String second = put(generator.generate(32));
        assertEquals(second, bot.renewAfterRejection(first), "the first re-read is never held back");
        assertEquals(second, bot.resolve());
        assertEquals(2, reads());

        // A second rotation soon after: held back until the interval has passed, then picked up.
        String third = put(generator.generate(32));
        IllegalStateException held = assertThrows(IllegalStateException.class, () -> bot.renewAfterRejection(second));
        assertTrue(held.getMessage().contains("re-read less than 30s ago"), held.getMessage());
        assertEquals(2, reads());
        now.addAndGet(INTERVAL.toNanos());
        assertEquals(third, bot.renewAfterRejection(second));
        assertEquals(3, reads());
    }

    @Test
    void oneReReadServesEveryConnectionRejectedMeanwhile() {
        String first = put(generator.generate(32));
        BotPassword bot = fromSecret();
        bot.resolve();
        String second = put(generator.generate(32));
        assertEquals(second, bot.renewAfterRejection(first));
        // Another pool's login with the old password failed while the first re-read ran.
        assertEquals(second, bot.renewAfterRejection(first));
        assertEquals(2, reads());
    }

    @Test
    void aSecretStillHoldingTheRejectedPasswordSaysWhatToDo() {
        String wrong = put(generator.generate(32));
        BotPassword bot = fromSecret();
        bot.resolve();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bot.renewAfterRejection(wrong));
        assertEquals("secret " + secretId + " still holds the rejected password after a re-read:"
                + " put the bot's current password in it", e.getMessage());
        for (int i = 0; i < 5; i++) {
            assertThrows(IllegalStateException.class, () -> bot.renewAfterRejection(wrong));
        }
        assertEquals(2, reads(), "one read, one re-read, then none within the interval");
    }

    @Test
    void aFixedPasswordIsNeverReRead() {
        put(generator.generate(32));
        String fixed = generator.generate(32);
        BotPassword bot = botPassword(Map.of("broker.db-password", fixed, "broker.db-secret-id", secretId));
        assertEquals(fixed, bot.resolve());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bot.renewAfterRejection(fixed));
        assertTrue(e.getMessage().startsWith("BROKER_DB_PASSWORD is fixed"), e.getMessage());
        assertFalse(e.getMessage().contains(fixed));
        assertEquals(0, reads());
    }

    @Test
    void aMalformedIntervalIsNamedAtTheFirstLogin() {
        put(generator.generate(32));
        BotPassword bot = botPassword(Map.of("broker.db-secret-id", secretId,
                "broker.db-password-reread-interval", "soon"));
        IllegalStateException e = assertThrows(IllegalStateException.class, bot::resolve);
        assertTrue(e.getMessage().startsWith("BROKER_DB_PASSWORD_REREAD_INTERVAL: duration 'soon'"), e.getMessage());
    }

    /**
     * A secret that names the password twice means one password to whoever checked it and another
     * to a reader that lets the last key win. The bot refuses it rather than log in with either, and
     * the refusal shows neither.
     */
    @Test
    void aSecretNamingThePasswordTwiceIsRefusedWithoutShowingEither() {
        String shown = generator.generate(32);
        String hidden = generator.generate(32);
        put("{\"password\": \"" + shown + "\", \"password\": \"" + hidden + "\"}");
        IllegalStateException e = assertThrows(IllegalStateException.class, fromSecret()::resolve);
        assertEquals("secret " + secretId + " is not one JSON object with each key once: store"
                + " {\"password\": \"...\"} or the password alone", e.getMessage());
    }

    @Test
    void aSecretThatIsNotJsonIsRefusedWithoutQuotingIt() {
        UnparsableSecret secret = UnparsableSecret.of(generator);
        put(secret.value());
        IllegalStateException e = assertThrows(IllegalStateException.class, fromSecret()::resolve);
        assertFalse(e.getMessage().contains(secret.password()), e.getMessage());
        assertTrue(e.getMessage().startsWith("secret " + secretId + " is not one JSON object"), e.getMessage());
    }

    @Test
    void aSecretInRdsShapeIsReadByItsPasswordKey() {
        String password = generator.generate(32);
        put("{\"username\": \"pg_ephemeral_bot\", \"password\": \"" + password + "\"}");
        assertEquals(password, fromSecret().resolve());
    }
}
