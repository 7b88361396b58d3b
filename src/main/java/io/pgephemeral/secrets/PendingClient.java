package io.pgephemeral.secrets;

import io.pgephemeral.broker.BrokerException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.util.concurrent.CompletableFuture;
import io.pgephemeral.broker.Deadline;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
            return client.get(Deadline.current().bound(Duration.ofMinutes(1)).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new BrokerException("could not set up the Secrets Manager client: " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new Deadline.Exceeded("setting up the Secrets Manager client");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while setting up the Secrets Manager client");
        }
    }
}
