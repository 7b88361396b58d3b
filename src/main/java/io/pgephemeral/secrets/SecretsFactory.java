package io.pgephemeral.secrets;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.BeanProvider;
import io.pgephemeral.broker.CredentialStore;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.config.BrokerSettings;
import jakarta.inject.Singleton;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.nio.file.Path;

/**
 * Chooses the credential store ({@code broker.secret-store}: {@code aws} or {@code local}) and
 * builds the Secrets Manager client. The client follows the SDK's usual chains for region,
 * credentials and endpoint ({@code AWS_ENDPOINT_URL_SECRETS_MANAGER}); it uses the JDK's HTTP
 * client, which starts faster than Apache's or Netty's.
 */
@Factory
public class SecretsFactory {

    /**
     * The one Secrets Manager client, built on a background thread from plain SDK code (see
     * {@link PendingClient}); it closes the client with the context.
     */
    @Singleton
    @Bean(preDestroy = "close")
    PendingClient pendingSecretsManagerClient() {
        return new PendingClient(() -> SecretsManagerClient.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build());
    }

    /**
     * The same client for whoever asks for it by type (the bot's password, when it is kept in
     * Secrets Manager): waits for the background build instead of making a second client.
     */
    @Singleton
    SecretsManagerClient secretsManagerClient(PendingClient pending) {
        return pending.get();
    }

    @Singleton
    SecretNames secretNames(BrokerConfig config) {
        return new SecretNames(config.secretPrefix());
    }

    /**
     * The store {@code broker.secret-store} names. One factory rather than one bean per value: a
     * value that is neither is refused by name (in {@link BrokerSettings}), instead of leaving no
     * store at all, which surfaced as an internal error. The Secrets Manager client is built only
     * for the aws store.
     */
    @Singleton
    CredentialStore credentialStore(BeanProvider<PendingClient> client, SecretNames names, BrokerConfig config,
                                    BrokerSettings settings) {
        return switch (settings.secretStore()) {
            case AWS -> new SecretsManagerStore(client.get(), names, blankToNull(config.secretKmsKeyId()));
            case LOCAL -> new LocalFileStore(localDirectory(config), names);
        };
    }

    /** The local store's directory: {@code broker.secret-dir}, else ~/.pg-ephemeral/secrets. */
    public static Path localDirectory(BrokerConfig config) {
        String dir = config.secretDir();
        return dir == null || dir.isBlank()
                ? Path.of(System.getProperty("user.home"), ".pg-ephemeral", "secrets")
                : Path.of(dir);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
