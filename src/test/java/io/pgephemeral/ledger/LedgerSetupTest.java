package io.pgephemeral.ledger;

import io.pgephemeral.testing.EmbeddedServer;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.database.Sql;
import io.pgephemeral.testing.SqlScript;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code migrate} as a new operator meets it: on a cluster of its own (roles are cluster-wide, and
 * the shared test cluster already has {@code ephemeral_auditor}), with the privileges docs/operators.md lists
 * and nothing more. It must refuse to make the bot the ledger's owner, say why a migration failed
 * and what to do, and the guide's set-up must work exactly as written. The broker then refuses to
 * work on a ledger older than it needs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("compat") // what a non-superuser owner may do differs between majors (CREATEROLE, schema rights)
class LedgerSetupTest {

    private static final String BOT = TestEnvironment.BOT;
    private static EmbeddedServer server;
    private static String botPassword;

    @BeforeAll
    static void start() throws Exception {
        server = EmbeddedServer.start(Files.createTempFile("pg-ephemeral-setup-test", ".log"), Map.of());
        botPassword = new PasswordGenerator().generate(32);
        try (Connection c = server.superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + BOT + " LOGIN PASSWORD " + Sql.literal(verifier(botPassword)));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    /**
     * A ledger owner without CREATEROLE, on a cluster without ephemeral_auditor: V2 cannot create
     * that role. Before, migrate said only "Script V2__hash_chain_and_audit_views.sql failed".
     */
    @Test
    @Order(1)
    void aFailedMigrationSaysWhyAndWhatToDo() throws Exception {
        String password = newLogin("bare_owner", "postgres");
        Cli.Run run = Cli.inProcess(Map.of("broker.ledger-password", password),
                "migrate", "--url", server.jdbcUrl("postgres"), "--user", "bare_owner", "--writer", BOT);
        assertEquals(1, run.exit(), run.toString());
        assertEquals(1, run.stderr().lines().count(), run.toString());
        String line = run.stderr().strip();
        for (String expected : List.of("V2__hash_chain_and_audit_views.sql", "42501", "permission denied to create role",
                "CREATEROLE", "ephemeral_auditor", "schema/setup/ledger-owner.sql")) {
            assertTrue(line.contains(expected), expected + " in: " + line);
        }
        assertFalse(line.contains("Exception"), line);
    }

    /**
     * Before, {@code --user ephemeral_bot --writer ephemeral_bot} made the bot the owner of
     * ledger_event, able to disable its append-only trigger.
     */
    @Test
    @Order(2)
    void migrateRefusesToMakeTheWriterTheOwner() throws Exception {
        String database = newDatabase();
        grantCreate(database, BOT);
        Cli.Run run = Cli.inProcess(Map.of("broker.ledger-password", botPassword),
                "migrate", "--url", server.jdbcUrl(database), "--user", BOT, "--writer", BOT);
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.stderr().contains("the ledger's owner must not be its writer"), run.toString());
        assertFalse(schemaExists(database), "nothing was created");
    }

    /** Before, the owner defaulted to the ledger user, i.e. the bot. */
    @Test
    @Order(3)
    void theOwnerDoesNotDefaultToTheBot() throws Exception {
        String database = newDatabase();
        grantCreate(database, BOT);
        Cli.Run run = Cli.inProcess(Map.of("broker.db-url", server.jdbcUrl(database), "broker.db-user", BOT,
                "broker.db-password", botPassword), "migrate", "--writer", BOT);
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.stderr().contains("--user"), run.toString());
        assertFalse(schemaExists(database), "nothing was created");
    }

    /**
     * The operators' guide's set-up, exactly: a superuser runs schema/setup/ledger-owner.sql and sets
     * the owner's password; then the guide's migrate command ({@link #GUIDE_MIGRATE}) runs as
     * the owner, who is neither a superuser nor holds CREATEROLE. The bot may then only insert
     * and read, and cannot switch the append-only trigger off.
     */
    @Test
    @Order(4)
    void readmesSetUpWorksAsWrittenWithThePrivilegesItLists() throws Exception {
        String database = newDatabase();
        String ownerPassword = new PasswordGenerator().generate(32);
        try (Connection c = server.superuser(database); Statement s = c.createStatement()) {
            SqlScript.run(c, TestEnvironment.resource("schema/setup/ledger-owner.sql"));
            // What the guide's "\password ledger_owner" does.
            s.execute("ALTER ROLE ledger_owner PASSWORD " + Sql.literal(verifier(ownerPassword)));
        }
        List<String> args = guideMigrateCommand();
        args.set(args.indexOf("--url") + 1, server.jdbcUrl(database));
        Map<String, String> env = new HashMap<>();
        env.put("PGPASSWORD", ownerPassword);
        env.put("BROKER_DB_URL", server.jdbcUrl(database));
        Cli.Run run = Cli.run(env, args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.stdout().contains("the broker writes it as " + BOT), run.toString());

        try (Connection c = server.superuser(database)) {
            assertEquals("ledger_owner", value(c, "SELECT tableowner FROM pg_tables WHERE schemaname = 'ephemeral'"
                    + " AND tablename = 'ledger_event'"));
            assertEquals("f f", value(c, "SELECT rolsuper || ' ' || rolcreaterole FROM pg_roles"
                    + " WHERE rolname = 'ledger_owner'").replace("false", "f"));
            assertEquals("INSERT,SELECT", value(c, "SELECT string_agg(privilege_type, ',' ORDER BY privilege_type)"
                    + " FROM information_schema.role_table_grants WHERE table_schema = 'ephemeral'"
                    + " AND table_name = 'ledger_event' AND grantee = '" + BOT + "'"));
        }
        try (Connection bot = java.sql.DriverManager.getConnection(server.jdbcUrl(database), BOT, botPassword);
             Statement s = bot.createStatement()) {
            SQLException e = assertThrows(SQLException.class,
                    () -> s.execute("ALTER TABLE ephemeral.ledger_event DISABLE TRIGGER USER"));
            assertEquals("42501", e.getSQLState(), e.getMessage());
        }
        // Run again, it is a no-op that still succeeds.
        Cli.Run again = Cli.run(env, args.toArray(String[]::new));
        assertEquals(0, again.exit(), again.toString());
        assertTrue(again.stdout().contains("0 migrations applied"), again.toString());
    }

    /**
     * A ledger migrated only to V1: before, escalate answered "the ledger is unavailable: ERROR:
     * column "hash" does not exist" after reading it; now one line says what to do, and nothing
     * is written.
     */
    @Test
    @Order(5)
    void theBrokerRefusesALedgerOlderThanItNeeds() throws Exception {
        TestEnvironment env = TestEnvironment.get();
        String database = "ledger_v1_" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Db.execute("CREATE DATABASE " + database);
        String url = env.jdbcUrl().replaceAll("/[^/]*$", "/" + database);
        org.flywaydb.core.Flyway.configure().dataSource(url + "?user=postgres", "postgres", "")
                .locations("classpath:schema/migrations").schemas(LedgerMigrations.SCHEMA).target("1")
                .placeholders(Map.of("ledger_writer", BOT)).load().migrate();

        List<String> rolesBefore = Db.managedRoles();
        int secretsBefore = env.secretsManager().calls("CreateSecret");
        try (Broker broker = new Broker(Map.of("broker.ledger-url", url))) {
            SymResponse response = broker.handle(Events.escalate(Events.newRunId(), "old.ledger@acme.example",
                    "readonly", 600));
            assertEquals(List.of("the ledger is at version 1, this broker needs " + LedgerMigrations.VERSION
                    + ": run migrate"), response.errors());
        }
        assertEquals(rolesBefore, Db.managedRoles());
        assertEquals(secretsBefore, env.secretsManager().calls("CreateSecret"));
        try (Connection c = java.sql.DriverManager.getConnection(url + "?user=postgres")) {
            assertEquals("0", value(c, "SELECT count(*) FROM ephemeral.ledger_event"));
        }
    }

    /**
     * A database with no ledger at all, and a ledger last migrated before the version view
     * existed (the view dropped): each refused with a line that says to run migrate.
     */
    @Test
    @Order(6)
    void aLedgerWithoutTablesOrWithoutItsVersionSaysToRunMigrate() throws Exception {
        TestEnvironment env = TestEnvironment.get();
        String empty = "ledger_none_" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Db.execute("CREATE DATABASE " + empty);
        String emptyUrl = env.jdbcUrl().replaceAll("/[^/]*$", "/" + empty);
        String unversioned = "ledger_old_" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Db.execute("CREATE DATABASE " + unversioned);
        String unversionedUrl = env.jdbcUrl().replaceAll("/[^/]*$", "/" + unversioned);
        LedgerMigrations.migrate(unversionedUrl + "?user=postgres", null, null, BOT);
        try (Connection c = java.sql.DriverManager.getConnection(unversionedUrl + "?user=postgres");
             Statement s = c.createStatement()) {
            s.execute("DROP VIEW ephemeral.ledger_schema_version");
        }
        Map<String, String> expected = Map.of(emptyUrl, "the ledger has no tables yet: run 'pg-ephemeral migrate'",
                unversionedUrl, "the ledger does not say its version");
        for (Map.Entry<String, String> ledger : expected.entrySet()) {
            try (Broker broker = new Broker(Map.of("broker.ledger-url", ledger.getKey()))) {
                SymResponse response = broker.handle(Events.escalate(Events.newRunId(), "no.ledger@acme.example",
                        "readonly", 600));
                assertEquals(1, response.errors().size(), response.toString());
                assertTrue(response.errors().get(0).startsWith(ledger.getValue()), response.errors().get(0));
            }
        }
    }

    /** The version the broker needs is the newest migration it ships. */
    @Test
    @Order(7)
    void theVersionTheBrokerNeedsIsItsNewestMigration() throws Exception {
        int newest = 0;
        try (var files = Files.list(Path.of("schema", "migrations"))) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.matches("V\\d+__.*\\.sql")) {
                    newest = Math.max(newest, Integer.parseInt(name.substring(1, name.indexOf("__"))));
                }
            }
        }
        assertEquals(newest, LedgerMigrations.VERSION);
    }

    /**
     * The migrate command of docs/operators.md, as it shows it (DocumentedCommandsTest checks the
     * guide shows exactly this).
     */
    static final String GUIDE_MIGRATE =
            "PGPASSWORD=... java -jar target/pg-ephemeral.jar migrate --url jdbc:postgresql://db.internal:5432/app --user ledger_owner --writer ephemeral_bot";

    /** The arguments of the guide's migrate command, after {@code pg-ephemeral.jar}. */
    private static List<String> guideMigrateCommand() {
        String tail = GUIDE_MIGRATE.substring(GUIDE_MIGRATE.indexOf("pg-ephemeral.jar") + "pg-ephemeral.jar".length());
        return new ArrayList<>(Arrays.asList(tail.strip().split("\\s+")));
    }

    private static String newLogin(String role, String database) throws SQLException {
        String password = new PasswordGenerator().generate(32);
        try (Connection c = server.superuser(database); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + role + " LOGIN PASSWORD " + Sql.literal(verifier(password)));
            s.execute("GRANT CREATE ON DATABASE " + database + " TO " + role);
        }
        return password;
    }

    private static String newDatabase() throws SQLException {
        String name = "setup_" + java.util.UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = server.superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return name;
    }

    private static void grantCreate(String database, String role) throws SQLException {
        try (Connection c = server.superuser(database); Statement s = c.createStatement()) {
            s.execute("GRANT CREATE ON DATABASE " + database + " TO " + role);
        }
    }

    private static boolean schemaExists(String database) throws SQLException {
        try (Connection c = server.superuser(database)) {
            return "1".equals(value(c, "SELECT count(*) FROM pg_namespace WHERE nspname = 'ephemeral'"));
        }
    }

    private static String value(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? String.valueOf(r.getObject(1)) : null;
        }
    }

    private static String verifier(String password) {
        return ScramVerifier.of(password, new PasswordGenerator().randomBytes(16), ScramVerifier.DEFAULT_ITERATIONS);
    }
}
