package io.pgephemeral.secrets;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.Deadline;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The Secrets Manager client, built on a background thread from the moment the credential store
 * is created. Building it loads and sets up about 1,700 SDK classes, 0.6 to 1 s of a cold start on
 * the benchmark machine; an escalation first records its request and creates its role in
 * PostgreSQL, and only then needs the client, so the two overlap instead of adding up.
 *
 * <p>The background thread runs plain SDK code and never touches the application context: bean
 * creation on two threads at once failed inside Micronaut ("Index 2 out of bounds for length 2"),
 * now and then, on the first escalation of a new context.
 */
final class PendingClient implements Supplier<SecretsManagerClient>, AutoCloseable {

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

    /** Closes the client once it is built; a build still running closes what it makes. */
    @Override
    public void close() {
        client.thenAccept(SecretsManagerClient::close);
    }
}
