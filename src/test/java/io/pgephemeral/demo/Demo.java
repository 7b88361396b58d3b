package io.pgephemeral.demo;

import io.pgephemeral.sym.EventJson;
import io.pgephemeral.sym.ResponseJson;
import io.pgephemeral.broker.ErrorLine;
import io.micronaut.context.ApplicationContext;
import io.pgephemeral.broker.CredentialStore;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.function.BrokerFunction;
import io.pgephemeral.ledger.Ledger;
import io.pgephemeral.ledger.LedgerEntry;
import io.pgephemeral.ledger.LedgerMigrations;
import io.pgephemeral.database.Sql;
import io.pgephemeral.secrets.LocalFileStore;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.EmbeddedServer;
import io.pgephemeral.testing.SqlScript;
import io.pgephemeral.testing.TestEnvironment;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The life of one temporary credential on a throwaway embedded PostgreSQL: sets the bot up as the
 * operators' guide says, escalates a sample Sym event, logs in with the issued credential, shows the
 * ledger, deescalates, and shows the login refused.
 *
 * <p>It lives in test sources, not in the Lambda jar: it needs the embedded server and its
 * binaries, which are test-scoped. {@code mvn -B -DskipTests test-compile exec:java@demo} runs it.
 */
public final class Demo {

    private static final String BOT = "ephemeral_bot";

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("pg-ephemeral-demo");
        int exit;
        try {
            exit = run(work);
        } finally {
            deleteTree(work);
        }
        // exec:java runs in Maven's JVM: a failed demo must fail the build, not just print.
        if (exit != 0) {
            throw new IllegalStateException("the demo did not show what it should (see above)");
        }
    }

    private static int run(Path work) throws Exception {
        say("pg-ephemeral demo: the life of one temporary credential");
        try (EmbeddedServer server = EmbeddedServer.start(work.resolve("postgres.log"), Map.of())) {
            String url = server.jdbcUrl("postgres");
            int major;
            try (Connection admin = server.superuser("postgres")) {
                major = admin.getMetaData().getDatabaseMajorVersion();
                step(1, "Started PostgreSQL " + admin.getMetaData().getDatabaseProductVersion() + " on 127.0.0.1:"
                        + server.port() + "; password logins must use scram-sha-256.");

                SqlScript.run(admin, """
                        CREATE ROLE readonly NOLOGIN;
                        CREATE TABLE orders (id int PRIMARY KEY, item text, total numeric);
                        INSERT INTO orders VALUES (1, 'coffee', 3.50), (2, 'bagel', 2.25), (3, 'tea', 2.80);
                        GRANT SELECT ON orders TO readonly;
                        """);
                String setup = major >= 16 ? "bot-setup-pg16.sql" : "bot-setup-pg13-15.sql";
                SqlScript.run(admin, resource("schema/setup/" + setup));
                String botPassword = new PasswordGenerator().generate(32);
                try (Statement s = admin.createStatement()) {
                    s.execute("ALTER ROLE " + BOT + " PASSWORD " + Sql.literal(ScramVerifier.of(botPassword,
                            new PasswordGenerator().randomBytes(16), ScramVerifier.DEFAULT_ITERATIONS)));
                }
                step(2, "Created the target role 'readonly' (SELECT on orders), then ran schema/setup/" + setup
                        + ": the marker role ephemeral_managed, the bot " + BOT + " (not a superuser)"
                        + (major >= 16 ? " and the " + TestEnvironment.CREATORS.size() + " creator roles it makes logins as" : "") + ".");

                int applied = LedgerMigrations.migrate(url, "postgres", "", BOT);
                step(3, "Applied " + applied + " ledger migration(s) as postgres; " + BOT
                        + " may only INSERT and SELECT.");

                Map<String, Object> settings = new java.util.HashMap<>(Map.of(
                        "broker.db-url", url,
                        "broker.db-user", BOT,
                        "broker.db-password", botPassword,
                        "broker.targets", "readonly=readonly",
                        "broker.max-ttl", "8h",
                        "broker.secret-store", "local",
                        "broker.secret-dir", work.resolve("secrets").toString()));
                if (major >= 16) {
                    // The setup made the creator roles; the bot makes each login as one of them.
                    settings.put("broker.creator-roles", String.join(",", TestEnvironment.CREATORS));
                }
                try (ApplicationContext context = ApplicationContext.builder().properties(settings).start()) {
                    return lifeOfACredential(context, server);
                }
            }
        }
    }

    private static int lifeOfACredential(ApplicationContext context, EmbeddedServer server) throws Exception {
        BrokerFunction function = new BrokerFunction(context);
        Map<String, Object> escalate = EventJson.read(resource("events/escalate.json").getBytes(StandardCharsets.UTF_8));

        step(4, "Sym sends escalate (events/escalate.json): jane.doe@acme.example asks for 'readonly' for"
                + " 3600 seconds, approved by ops-lead@acme.example. The broker answers:");
        SymResponse escalated = function.handleRequest(escalate, null);
        show(escalated);
        if (!escalated.succeeded()) {
            return 1;
        }
        String role = (String) escalated.body().get("role");
        String secretId = (String) escalated.body().get("secret_id");
        String runId = (String) ((Map<?, ?>) escalate.get("run")).get("srn");

        LocalFileStore store = (LocalFileStore) context.getBean(CredentialStore.class);
        Map<?, ?> secret = (Map<?, ?>) store.read(secretId).get("value");
        String password = (String) secret.get("password");
        step(5, "The requester reads secret " + secretId + " (a 0600 file here; Secrets Manager in AWS): user "
                + secret.get("username") + ", database " + secret.get("dbname") + ", password of "
                + password.length() + " characters (not shown), valid until " + secret.get("expires_at") + ".");

        try (Connection requester = DriverManager.getConnection(server.jdbcUrl("postgres"), role, password)) {
            try (Statement s = requester.createStatement();
                 ResultSet r = s.executeQuery("SELECT current_user, count(*), sum(total) FROM orders")) {
                r.next();
                step(6, "Logged in as " + r.getString(1) + " with that password and ran"
                        + " SELECT count(*), sum(total) FROM orders: " + r.getLong(2) + " orders, " + r.getString(3)
                        + " in total. This session stays open.");
            }
            try (Connection admin = server.superuser("postgres"); Statement s = admin.createStatement();
                 ResultSet r = s.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = "
                         + Sql.literal(role))) {
                r.next();
                say("   The server stores only a SCRAM verifier: " + r.getString(1).substring(0, 22) + "...");
            }

            Ledger ledger = context.getBean(Ledger.class);
            step(7, "The ledger now holds:");
            printLedger(ledger.historyOfRun(runId));

            Map<String, Object> deescalate = EventJson.read(resource("events/deescalate.json")
                    .getBytes(StandardCharsets.UTF_8));
            step(8, "Sym sends deescalate (events/deescalate.json). The broker answers:");
            SymResponse deescalated = function.handleRequest(deescalate, null);
            show(deescalated);

            try (Statement s = requester.createStatement()) {
                s.executeQuery("SELECT 1");
                say("   !! the open session still works: that would be a bug");
                return 1;
            } catch (SQLException e) {
                step(9, "The session that was open is gone: " + firstLine(e.getMessage()));
            }
            try (Connection again = DriverManager.getConnection(server.jdbcUrl("postgres"), role, password)) {
                say("   !! logging in again worked: that would be a bug");
                return 1;
            } catch (SQLException e) {
                say("   Logging in again is refused: " + firstLine(e.getMessage()));
            }
            say("   The secret file is " + (Files.exists(store.fileOf(secretId)) ? "still there (bug)" : "gone") + ".");
            step(10, "The ledger now holds:");
            printLedger(ledger.historyOfRun(runId));
            say("");
            say("Done. Everything ran on a throwaway PostgreSQL, which is now removed.");
            return deescalated.succeeded() ? 0 : 1;
        }
    }

    private static void printLedger(List<LedgerEntry> entries) {
        String format = "   %-4s %-10s %-20s %-26s %-22s %s%n";
        System.out.printf(format, "seq", "event", "recorded at", "role", "actor", "detail");
        for (LedgerEntry e : entries) {
            System.out.printf(format, e.seq(), e.event(), e.recordedAt().toString().substring(0, 19) + "Z",
                    e.roleName(), e.actor() == null ? "" : e.actor(), e.detail() == null ? "" : e.detail());
        }
    }

    private static void show(SymResponse response) {
        String text = new String(ResponseJson.bytes(response), StandardCharsets.UTF_8);
        say("   " + text);
    }

    private static void step(int n, String text) {
        say("");
        say(n + ". " + text);
    }

    private static void say(String text) {
        System.out.println(text);
    }

    private static String firstLine(String message) {
        return ErrorLine.firstLine(message, "");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = Demo.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
