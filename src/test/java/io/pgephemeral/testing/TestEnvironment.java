package io.pgephemeral.testing;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.ledger.LedgerMigrations;
import io.pgephemeral.database.Sql;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One real PostgreSQL and one fake Secrets Manager for the whole test run, set up the way docs/operators.md
 * tells users to: target roles, then {@code schema/setup/bot-setup-*.sql} as is, the bot's password
 * as a SCRAM verifier, and the ledger migrated by a superuser with the bot as writer.
 *
 * <p>By default PostgreSQL is embedded; {@code -Dpg.backend=testcontainers} runs the official image
 * instead (see {@link TestBackend}). Either logs every statement ({@code log_statement=all}) and runs
 * in a time zone far from UTC, as does this JVM (see the Surefire configuration), so that expiry
 * arithmetic that forgets the offset fails. {@code BROKER_TEST_DB_URL} points the tests at an
 * external server instead: a superuser JDBC URL of a throwaway cluster.
 */
public final class TestEnvironment {

    public static final String BOT = "ephemeral_bot";
    public static final String MARKER = "ephemeral_managed";
    public static final String DATABASE = "postgres";
    /** The role that receives a temporary role's objects in the reassign-owned test. */
    public static final String HEIR = "object_heir";
    /** The creator roles schema/setup/bot-setup-pg16.sql makes (16+). */
    public static final List<String> CREATORS = java.util.stream.IntStream.range(0, 64)
            .mapToObj(i -> String.format("ephemeral_creator_%02d", i)).toList();

    /**
     * The creator roles brokers are configured with on 16+: all the set-up script's; none with the
     * benchmark's {@code -Dbench.creators=false}; the first N with {@code -Dbench.creators=N}, for
     * measuring how role DDL scales with the number of creators.
     */
    public static List<String> configuredCreators() {
        String setting = System.getProperty("bench.creators", "true");
        if ("false".equals(setting)) {
            return List.of();
        }
        if ("true".equals(setting)) {
            return CREATORS;
        }
        int n;
        try {
            n = Integer.parseInt(setting);
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1 || n > CREATORS.size()) {
            throw new IllegalArgumentException("-Dbench.creators takes true, false or a number of creator roles from 1 to "
                    + CREATORS.size() + ", not " + setting);
        }
        return CREATORS.subList(0, n);
    }

    private static TestEnvironment instance;
    /** Why the environment did not start: every later test fails at once with it, never retries. */
    private static Unavailable failure;

    /**
     * No test server: an Error, not an exception, so that a test class which takes the environment
     * in a static initializer fails with this message (the JVM wraps only exceptions in
     * ExceptionInInitializerError, whose own message is empty in Surefire's summary).
     */
    public static final class Unavailable extends Error {
        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A JSON object as the tests read it, for {@link #json()}. */
    public static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    private final TestServer server;
    private final String adminUrl;
    private final String jdbcUrl;
    private final String botPassword;
    private final int serverMajor;
    private final FakeSecretsManager secretsManager;
    private final ObjectMapper json;

    public static synchronized TestEnvironment get() {
        if (failure != null) {
            throw new Unavailable(failure.getMessage(), failure.getCause());
        }
        if (instance == null) {
            try {
                instance = new TestEnvironment();
            } catch (IOException | SQLException e) {
                failure = new Unavailable("test environment did not start: " + e.getMessage(), e);
                throw failure;
            } catch (RuntimeException e) {
                failure = new Unavailable(e.getMessage(), e);
                throw failure;
            }
        }
        return instance;
    }

    private TestEnvironment() throws IOException, SQLException {
        json = new ObjectMapper();
        server = TestServer.start(Map.of(
                // The benchmark turns statement logging off: it measures the broker, not the log.
                "log_statement", System.getProperty("test.pg.log_statement", "all"),
                "log_min_error_statement", "debug5",
                "timezone", "Pacific/Kiritimati",
                "max_connections", "300"));
        adminUrl = server.adminUrl();
        jdbcUrl = server.jdbcUrl();
        botPassword = new PasswordGenerator().generate(32);
        try (Connection admin = admin()) {
            serverMajor = admin.getMetaData().getDatabaseMajorVersion();
            setUp(admin, serverMajor, botPassword);
        }
        LedgerMigrations.migrate(adminUrl, null, null, BOT);

        secretsManager = new FakeSecretsManager(json);
        // The SDK's own configuration chain, as in production: region, credentials and the
        // standard endpoint override (the system-property twin of AWS_ENDPOINT_URL_SECRETS_MANAGER).
        System.setProperty("aws.region", FakeSecretsManager.REGION);
        System.setProperty("aws.accessKeyId", "AKIDEXAMPLE");
        System.setProperty("aws.secretAccessKey", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        System.setProperty("aws.endpointUrlSecretsManager", secretsManager.endpoint().toString());

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            secretsManager.close();
            try {
                server.close();
            } catch (IOException ignored) {
                // the JVM is exiting; the temporary directory goes with it
            }
        }));
    }

    /**
     * Sets a fresh server up as docs/operators.md says, with the tests' target roles; also used for the
     * second server of the TLS tests.
     */
    static void setUp(Connection admin, int serverMajor, String botPassword) throws SQLException, IOException {
        SqlScript.run(admin, """
                CREATE ROLE readonly NOLOGIN;
                CREATE ROLE analytics_ro NOLOGIN;
                CREATE ROLE orders_ro NOLOGIN;
                CREATE ROLE object_heir NOLOGIN;
                CREATE ROLE not_allowed NOLOGIN;
                CREATE TABLE orders (id int PRIMARY KEY, item text, total numeric);
                INSERT INTO orders VALUES (1, 'coffee', 3.50), (2, 'bagel', 2.25);
                GRANT SELECT ON orders TO readonly;
                GRANT SELECT ON orders TO orders_ro;
                CREATE SCHEMA scratch;
                GRANT USAGE, CREATE ON SCHEMA scratch TO readonly;
                """);
        String setup = serverMajor >= 16 ? "bot-setup-pg16.sql" : "bot-setup-pg13-15.sql";
        SqlScript.run(admin, resource("schema/setup/" + setup));
        if (serverMajor >= 16) {
            // The same line docs/operators.md asks for, once per extra target role of the tests.
            SqlScript.run(admin, """
                    GRANT analytics_ro TO ephemeral_bot WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;
                    GRANT orders_ro TO ephemeral_bot WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;
                    """);
            SqlScript.run(admin, "GRANT analytics_ro, orders_ro TO " + String.join(", ", CREATORS)
                    + " WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;");
        }
        // REASSIGN OWNED needs the privileges of the receiving role (docs/operators.md, Database setup).
        SqlScript.run(admin, "GRANT object_heir TO ephemeral_bot;");
        try (Statement s = admin.createStatement()) {
            s.execute("ALTER ROLE " + BOT + " PASSWORD " + Sql.literal(ScramVerifier.of(botPassword,
                    new PasswordGenerator().randomBytes(16), ScramVerifier.DEFAULT_ITERATIONS)));
        }
    }

    /**
     * What docs/operators.md asks for a new target role on 16+: ADMIN on it for the bot and for
     * every creator role. Nothing before 16, where CREATEROLE grants any role.
     */
    public String grantTarget(String role) {
        if (serverMajor < 16) {
            return "SELECT 1";
        }
        return "GRANT " + role + " TO ephemeral_bot, " + String.join(", ", CREATORS)
                + " WITH ADMIN TRUE, INHERIT FALSE, SET FALSE";
    }

    /** Broker settings for the test server and the fake Secrets Manager; tests override some. */
    public Map<String, Object> brokerProperties() {
        Map<String, Object> p = new HashMap<>();
        p.put("broker.db-url", jdbcUrl);
        p.put("broker.db-user", BOT);
        p.put("broker.db-password", botPassword);
        p.put("broker.targets", "readonly=readonly,analytics=analytics_ro|orders_ro,admin=orders_ro:noinherit");
        p.put("broker.max-ttl", "8h");
        p.put("broker.secret-store", "aws");
        p.put("broker.secret-prefix", "pg-ephemeral/");
        p.put("broker.lock-timeout", "5s");
        if (serverMajor >= 16 && !configuredCreators().isEmpty()) {
            // As docs/operators.md advises on 16+: the broker's own tests run the way it is deployed
            // (the benchmark's -Dbench.creators=false measures a broker without them).
            p.put("broker.creator-roles", String.join(",", configuredCreators()));
        }
        return p;
    }

    public Connection admin() throws SQLException {
        return DriverManager.getConnection(adminUrl);
    }

    /**
     * The superuser, with batched INSERTs sent as multi-row statements: one firing of the ledger's
     * statement-level trigger per batch instead of one per row, for tests that load many rows.
     */
    public Connection adminForBulkInserts() throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("reWriteBatchedInserts", "true");
        return DriverManager.getConnection(adminUrl, properties);
    }

    /**
     * A fresh schema with the ledger's migrations applied up to {@code version}, as a ledger of
     * that age would be; returns the schema's name.
     */
    public String ledgerMigratedTo(String version) {
        String schema = "ledger_v" + version + "_" + java.util.UUID.randomUUID().toString().substring(0, 8);
        org.flywaydb.core.Flyway.configure().dataSource(adminUrl, null, null)
                .locations("classpath:schema/migrations").schemas(schema).target(version)
                .placeholders(Map.of("ledger_writer", BOT)).load().migrate();
        return schema;
    }

    /** A password login over TCP, checked by the server with SCRAM-SHA-256. */
    public Connection login(String user, String password) throws SQLException {
        return DriverManager.getConnection(jdbcUrl, user, password);
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** A superuser's URL, credentials included, whichever backend serves the tests. */
    public String adminUrl() {
        return adminUrl;
    }

    public String botPassword() {
        return botPassword;
    }

    public int serverMajor() {
        return serverMajor;
    }

    public FakeSecretsManager secretsManager() {
        return secretsManager;
    }

    /**
     * Jackson's object mapper, for tests: a JSON reader and writer independent of the product's
     * (json.JsonTree), already on the product's class path (Flyway's), so tests add no library the
     * deployed jar lacks.
     */
    public ObjectMapper json() {
        return json;
    }

    /** The server's log so far; null for an external server. */
    public Path serverLog() throws IOException {
        return server.log();
    }

    public static String resource(String name) {
        try (InputStream in = TestEnvironment.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
