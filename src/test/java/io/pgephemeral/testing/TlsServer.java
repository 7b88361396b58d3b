package io.pgephemeral.testing;

import io.pgephemeral.ledger.LedgerMigrations;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A second embedded PostgreSQL that speaks TLS, with a certificate authority made here: the
 * server's certificate names {@code localhost} only and is signed by {@link #ca()}; {@link
 * #otherCa()} signed nothing the server holds. Set up like the main test server (the bot, the
 * marker, the target roles, the ledger), with the same bot password, so a broker can run on it.
 */
public final class TlsServer implements AutoCloseable {

    private final Path dir;
    private final EmbeddedServer server;

    private TlsServer(Path dir, EmbeddedServer server) {
        this.dir = dir;
        this.server = server;
    }

    public static TlsServer start() throws IOException, SQLException, InterruptedException {
        TestEnvironment env = TestEnvironment.get();
        Path dir = Files.createTempDirectory("pg-ephemeral-tls");
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=pg-ephemeral test CA");
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "2", "-subj", "/CN=some other CA");
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
                + "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
        openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.crt", "-days", "2", "-extfile", "server.ext");
        // The server refuses a key others can read.
        Files.setPosixFilePermissions(dir.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));

        EmbeddedServer server = EmbeddedServer.start(dir.resolve("postgres.log"), Map.of(
                "ssl", "on",
                "ssl_cert_file", dir.resolve("server.crt").toString(),
                "ssl_key_file", dir.resolve("server.key").toString()));
        try (Connection admin = server.superuser(TestEnvironment.DATABASE)) {
            TestEnvironment.setUp(admin, admin.getMetaData().getDatabaseMajorVersion(), env.botPassword());
        }
        LedgerMigrations.migrate(server.jdbcUrl(TestEnvironment.DATABASE) + "?user=postgres", null, null,
                TestEnvironment.BOT);
        return new TlsServer(dir, server);
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.log").toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: "
                    + Files.readString(dir.resolve("openssl.log")));
        }
    }

    /** The CA that signed the server's certificate, as a PEM file. */
    public Path ca() {
        return dir.resolve("ca.crt");
    }

    /** A CA that signed nothing the server holds. */
    public Path otherCa() {
        return dir.resolve("other-ca.crt");
    }

    /** A JDBC URL of the server by {@code host} ({@code localhost} matches its certificate). */
    public String url(String host) {
        return "jdbc:postgresql://" + host + ":" + server.port() + "/" + TestEnvironment.DATABASE;
    }

    /** A superuser connection without TLS verification, to look at what the server holds. */
    public Connection admin() throws SQLException {
        return server.superuser(TestEnvironment.DATABASE);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
