package io.pgephemeral.secrets;

import io.micronaut.context.BeanProvider;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.database.LoginPassword;
import io.pgephemeral.json.JsonTree;
import io.pgephemeral.config.BrokerSettings;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The bot's own database password: {@code broker.db-password} for local use, or the secret named
 * by {@code broker.db-secret-id}, holding either the password or RDS-shaped JSON with a
 * {@code password} key. Read when the first connection is made, and kept.
 *
 * <p>When the secret's password is rotated, PostgreSQL rejects the kept one at the next login;
 * {@link #renewAfterRejection} then re-reads the secret. The first re-read is immediate; later ones
 * wait at least {@code broker.db-password-reread-interval} after the previous one, so that a secret
 * holding a wrong password costs Secrets Manager a bounded number of reads, not one per login.
 */
@Singleton
public class BotPassword implements LoginPassword {

    private static final Logger LOG = LoggerFactory.getLogger(BotPassword.class);

    private final BrokerConfig config;
    private final BeanProvider<SecretsManagerClient> client;
    private final LongSupplier nanoTime;

    // Guarded by this: connections of both pools may be rejected at once, and one re-read serves all.
    private Duration rereadInterval;
    private String password;
    private boolean reread;
    private long lastRereadNanos;

    @Inject
    public BotPassword(BrokerConfig config, BeanProvider<SecretsManagerClient> client) {
        this(config, client, System::nanoTime);
    }

    /** With a clock of the caller's, so that a test can let the re-read interval pass. */
    BotPassword(BrokerConfig config, BeanProvider<SecretsManagerClient> client, LongSupplier nanoTime) {
        this.config = config;
        this.client = client;
        this.nanoTime = nanoTime;
    }

    @Override
    public String current() {
        return resolve();
    }

    @Override
    public String toString() {
        return "the bot's password";
    }

    /** The password to log in with: read from its source on first use, then kept until renewed. */
    public synchronized String resolve() {
        if (password == null) {
            // Checked here, at the first login, rather than at start-up: every CLI command is
            // built with this bean, and a failing constructor would be a stack trace, not a line.
            rereadInterval = rereadInterval();
            password = read();
        }
        return password;
    }

    /**
     * After PostgreSQL rejected {@code rejected} (SQLSTATE 28P01), e.g. because it was rotated: the
     * password the secret holds now, to try once. Throws {@link IllegalStateException}, saying what
     * to do, when there is no other password to try: the password is fixed, the secret still holds
     * the rejected one, or it was re-read too recently to ask again.
     */
    public synchronized String renewAfterRejection(String rejected) {
        if (fixed()) {
            throw new IllegalStateException("BROKER_DB_PASSWORD is fixed and cannot be re-read:"
                    + " set it to the bot's current password, or use BROKER_DB_SECRET_ID");
        }
        String secretId = config.dbSecretId();
        if (password != null && !password.equals(rejected)) {
            return password; // another connection renewed it meanwhile
        }
        if (rereadInterval == null) {
            rereadInterval = rereadInterval();
        }
        long now = nanoTime.getAsLong();
        if (reread && now - lastRereadNanos < rereadInterval.toNanos()) {
            throw new IllegalStateException("secret " + secretId + " was re-read less than "
                    + config.dbPasswordRereadInterval() + " ago and its password was rejected:"
                    + " put the bot's current password in it");
        }
        reread = true;
        lastRereadNanos = now;
        String fresh = read();
        password = fresh;
        if (fresh.equals(rejected)) {
            throw new IllegalStateException("secret " + secretId + " still holds the rejected password after a re-read:"
                    + " put the bot's current password in it");
        }
        LOG.info("re-read the bot's password from secret {} after PostgreSQL rejected the one held", secretId);
        return fresh;
    }

    private Duration rereadInterval() {
        // Read here, not from the settings bean: this runs at the first login, in every CLI command.
        try {
            return BrokerSettings.duration("broker.db-password-reread-interval", config.dbPasswordRereadInterval());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage());
        }
    }

    private boolean fixed() {
        return config.dbPassword() != null && !config.dbPassword().isEmpty();
    }

    private String read() {
        if (fixed()) {
            return config.dbPassword();
        }
        String secretId = config.dbSecretId();
        if (secretId == null || secretId.isBlank()) {
            throw new IllegalStateException("set BROKER_DB_SECRET_ID (or BROKER_DB_PASSWORD for local use)");
        }
        String value;
        try {
            value = client.get().getSecretValue(b -> b.overrideConfiguration(SecretsManagerStore.bounded()).secretId(secretId)).secretString();
        } catch (SdkException e) {
            throw new IllegalStateException("could not read the bot's password from secret " + secretId + ": "
                    + SecretsManagerStore.describe(e));
        }
        if (value == null) {
            throw new IllegalStateException("secret " + secretId + " has no string value");
        }
        if (value.stripLeading().startsWith("{")) {
            try {
                Object field = JsonTree.readObject(value).get("password");
                if (field instanceof String s && !s.isEmpty()) {
                    return s;
                }
            } catch (JsonTree.Malformed e) { // its words may quote the password: not shown
                throw new IllegalStateException("secret " + secretId + " is not one JSON object with each key once:"
                        + " store {\"password\": \"...\"} or the password alone");
            }
            throw new IllegalStateException("secret " + secretId + " has no \"password\" key");
        }
        return value;
    }
}
