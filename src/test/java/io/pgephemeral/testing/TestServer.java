package io.pgephemeral.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The PostgreSQL the tests run against, whichever backend serves it (see {@link TestBackend}).
 * Every backend enforces {@code scram-sha-256} for password logins, so a login test means something.
 */
interface TestServer extends AutoCloseable {

    /** The database's URL without credentials: for the bot and for password logins. */
    String jdbcUrl();

    /** A superuser's URL, credentials included: for setting the server up and for migrations. */
    String adminUrl();

    /** The server's log so far (statements included), or null when the tests cannot read it. */
    Path log() throws IOException;

    @Override
    void close() throws IOException;

    /** The main test server: embedded, a PostgreSQL container, or BROKER_TEST_DB_URL. */
    static TestServer start(Map<String, String> settings) throws IOException {
        String external = System.getenv("BROKER_TEST_DB_URL");
        return switch (TestBackend.select(System.getProperty("pg.backend"), external)) {
            case EMBEDDED -> embedded(settings);
            case TESTCONTAINERS -> ContainerServer.start(
                    TestBackend.image(System.getProperty("pg.image"), System.getProperty("pg.binaries.version")),
                    settings, ContainerServer::dockerAvailable);
            case EXTERNAL -> external(external);
        };
    }

    private static TestServer embedded(Map<String, String> settings) throws IOException {
        EmbeddedServer server = EmbeddedServer.start(
                java.nio.file.Files.createTempFile("pg-ephemeral-test-postgres", ".log"), settings);
        return new TestServer() {
            @Override
            public String jdbcUrl() {
                return server.jdbcUrl(TestEnvironment.DATABASE);
            }

            @Override
            public String adminUrl() {
                // the superuser logs in from this machine without a password (EmbeddedServer's pg_hba)
                return jdbcUrl() + "?user=postgres";
            }

            @Override
            public Path log() {
                return server.log();
            }

            @Override
            public void close() throws IOException {
                server.close();
            }
        };
    }

    /** A superuser JDBC URL of a throwaway cluster, set up by whoever runs the tests. */
    private static TestServer external(String url) {
        return new TestServer() {
            @Override
            public String jdbcUrl() {
                return url.replaceAll("[?].*$", "");
            }

            @Override
            public String adminUrl() {
                return url;
            }

            @Override
            public Path log() {
                return null;
            }

            @Override
            public void close() {
                // not ours to stop
            }
        };
    }
}
