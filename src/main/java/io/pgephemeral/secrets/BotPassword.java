package io.pgephemeral.secrets;

import io.micronaut.context.BeanProvider;
import io.micronaut.json.JsonMapper;
import io.pgephemeral.config.BrokerConfig;
import jakarta.inject.Singleton;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.io.IOException;
import java.util.Map;

/**
 * The bot's own database password: {@code broker.db-password} for local use, or the secret named
 * by {@code broker.db-secret-id}, holding either the password or RDS-shaped JSON with a
 * {@code password} key. Read once, when the first connection is made.
 */
@Singleton
public class BotPassword {

    private final BrokerConfig config;
    private final BeanProvider<SecretsManagerClient> client;
    private final JsonMapper json;

    public BotPassword(BrokerConfig config, BeanProvider<SecretsManagerClient> client, JsonMapper json) {
        this.config = config;
        this.client = client;
        this.json = json;
    }

    public String resolve() {
        if (config.dbPassword() != null && !config.dbPassword().isEmpty()) {
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
                Object password = json.readValue(value, Map.class).get("password");
                if (password instanceof String s && !s.isEmpty()) {
                    return s;
                }
            } catch (IOException e) {
                throw new IllegalStateException("secret " + secretId + " is not valid JSON");
            }
            throw new IllegalStateException("secret " + secretId + " has no \"password\" key");
        }
        return value;
    }
}
