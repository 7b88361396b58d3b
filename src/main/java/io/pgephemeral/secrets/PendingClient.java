package io.pgephemeral.secrets;

import io.pgephemeral.broker.BrokerException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * The Secrets Manager client, built on a background thread from the moment the credential store
 * is created. Building it loads and sets up about 1,700 SDK classes, 0.6 to 1 s of a cold start on
 * the benchmark machine; an escalation first records its request and creates its role in
 * PostgreSQL, and only then needs the client, so the two overlap instead of adding up. The
 * client is the context's singleton, which the context closes.
 */
final class PendingClient implements Supplier<SecretsManagerClient> {

    private final CompletableFuture<SecretsManagerClient> client = new CompletableFuture<>();

    PendingClient(Supplier<SecretsManagerClient> build) {
        Thread builder = new Thread(() -> {
            try {
                client.complete(build.get());
            } catch (RuntimeException | Error e) {
                client.completeExceptionally(e);
            }
        }, "secrets-manager-client");
        builder.setDaemon(true);
        builder.start();
    }

    @Override
    public SecretsManagerClient get() {
        try {
            return client.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            throw new BrokerException("could not set up the Secrets Manager client: " + cause.getMessage(), cause);
        }
    }
}
