package io.pgephemeral.testing;

import io.pgephemeral.crypto.PasswordGenerator;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code -Dpg.backend=testcontainers}: the official PostgreSQL image through Testcontainers, set up
 * like {@link EmbeddedServer}: passwords stored and checked as SCRAM-SHA-256, for every login over
 * TCP (the superuser too: it gets a random password here, where the embedded server trusts it
 * from this machine), and the caller's postgresql.conf settings as {@code -c} arguments.
 *
 * <p>Not run on the machine it was written on (no Docker there): its failure without Docker is
 * tested (TestBackendTest), its start is kept to the documented knobs of the image.
 */
final class ContainerServer implements TestServer {

    static final String NO_DOCKER = "-Dpg.backend=testcontainers needs a running Docker, and Testcontainers"
            + " found none: start Docker (or set DOCKER_HOST), or drop -Dpg.backend to use the embedded server";

    private final PostgreSQLContainer container;

    private ContainerServer(PostgreSQLContainer container) {
        this.container = container;
    }

    static boolean dockerAvailable() {
        return DockerClientFactory.instance().isDockerAvailable();
    }

    /** Checks for Docker before anything else, so that a machine without it fails at once. */
    static ContainerServer start(String image, Map<String, String> settings, BooleanSupplier dockerAvailable) {
        if (!dockerAvailable.getAsBoolean()) {
            throw new IllegalStateException(NO_DOCKER);
        }
        List<String> command = new ArrayList<>(List.of("postgres", "-c", "password_encryption=scram-sha-256"));
        settings.forEach((name, value) -> command.addAll(List.of("-c", name + "=" + value)));
        PostgreSQLContainer container = new PostgreSQLContainer(
                DockerImageName.parse(image).asCompatibleSubstituteFor("postgres"))
                .withDatabaseName(TestEnvironment.DATABASE)
                .withUsername("postgres")
                .withPassword(new PasswordGenerator().generate(32))
                // initdb writes scram-sha-256 for every pg_hba line and stores the superuser's password
                // so; the entrypoint's line for other hosts (the tests, outside the container) too.
                .withEnv("POSTGRES_INITDB_ARGS", "--auth=scram-sha-256")
                .withEnv("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256");
        container.setCommand(command.toArray(String[]::new));
        container.start();
        return new ContainerServer(container);
    }

    @Override
    public String jdbcUrl() {
        return "jdbc:postgresql://" + container.getHost() + ":"
                + container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT) + "/" + TestEnvironment.DATABASE;
    }

    @Override
    public String adminUrl() {
        // the password is random, URL-safe (letters and digits) and lives as long as the container
        return jdbcUrl() + "?user=postgres&password=" + container.getPassword();
    }

    /** The container's output so far, which is the server's log (it logs to stderr). */
    @Override
    public Path log() throws IOException {
        Path log = Files.createTempFile("pg-ephemeral-test-postgres", ".log");
        Files.writeString(log, container.getLogs());
        return log;
    }

    @Override
    public void close() {
        container.stop();
    }
}
