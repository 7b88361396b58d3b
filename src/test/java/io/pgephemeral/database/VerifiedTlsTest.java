package io.pgephemeral.database;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;
import io.pgephemeral.testing.TlsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections to PostgreSQL are verified (sslmode=verify-full against the configured CA bundle)
 * unless the operator opts out by a loudly named setting. A second embedded server speaks TLS with
 * a CA made by the test; its certificate names {@code localhost}, so connecting to 127.0.0.1 is a
 * host-name mismatch. URLs of a remote host that weaken TLS are configuration errors.
 */
class VerifiedTlsTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static TlsServer tls;

    @BeforeAll
    static void start() throws Exception {
        tls = TlsServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        tls.close();
    }

    /** A broker of the TLS server: target and ledger both there, unless overridden. */
    private static Broker broker(String host, Object caBundle, Map<String, Object> more) {
        Map<String, Object> overrides = new HashMap<>(more);
        overrides.put("broker.db-url", tls.url(host));
        if (caBundle != null) {
            overrides.put("broker.db-ca-bundle", caBundle.toString());
        }
        return new Broker(overrides);
    }

    private static List<String> managedRolesOnTlsServer() throws Exception {
        List<String> roles = new ArrayList<>();
        try (Connection c = tls.admin(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                        + " JOIN pg_roles r ON r.oid = m.member WHERE g.rolname = 'ephemeral_managed'"
                        + " AND r.rolname <> 'ephemeral_bot' ORDER BY 1")) {
            while (r.next()) {
                roles.add(r.getString(1));
            }
        }
        return roles;
    }

    private static long ledgerRowsOnTlsServer() throws Exception {
        try (Connection c = tls.admin(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM ephemeral.ledger_event")) {
            r.next();
            return r.getLong(1);
        }
    }

    @Test
    void theRightCaConnectsWithVerifyFullForTheRolesAndTheLedger() throws Exception {
        try (Broker broker = broker("localhost", tls.ca(), Map.of())) {
            String run = Events.newRunId();
            SymResponse issued = broker.handle(Events.escalate(run, "tls@acme.example", "readonly", 600));
            assertEquals(List.of(), issued.errors());
            Map<String, Boolean> encrypted = new HashMap<>();
            try (Connection c = tls.admin(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                    "SELECT a.application_name, bool_and(s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s"
                            + " USING (pid) WHERE a.application_name LIKE 'pg-ephemeral%' GROUP BY 1")) {
                while (r.next()) {
                    encrypted.put(r.getString(1), r.getBoolean(2));
                }
            }
            assertEquals(Map.of("pg-ephemeral", true, "pg-ephemeral ledger", true), encrypted);
            assertEquals(List.of(), broker.handle(Events.deescalate(run, "tls@acme.example", "readonly")).errors());
        }
    }

    private static void assertRefusedOverTls(Broker broker, String... expected) throws Exception {
        List<String> roles = managedRolesOnTlsServer();
        long ledger = ledgerRowsOnTlsServer();
        int creates = env.secretsManager().calls("CreateSecret");
        SymResponse response = broker.handle(Events.escalate(Events.newRunId(), "tls@acme.example", "readonly", 600));
        assertEquals(1, response.errors().size(), String.valueOf(response.errors()));
        String error = response.errors().get(0);
        for (String e : expected) {
            assertTrue(error.contains(e), "expected '" + e + "' in: " + error);
        }
        assertFalse(error.contains("\n"), error);
        assertFalse(error.contains("Exception"), error);
        assertEquals(roles, managedRolesOnTlsServer());
        assertEquals(ledger, ledgerRowsOnTlsServer());
        assertEquals(creates, env.secretsManager().calls("CreateSecret"));
    }

    @Test
    void aCertificateFromAnotherCaIsRefusedWithOneLine() throws Exception {
        try (Broker broker = broker("localhost", tls.otherCa(), Map.of())) {
            assertRefusedOverTls(broker, "TLS", "not signed by a CA in BROKER_DB_CA_BUNDLE");
        }
    }

    @Test
    void aHostNameTheCertificateDoesNotNameIsRefusedWithOneLine() throws Exception {
        try (Broker broker = broker("127.0.0.1", tls.ca(), Map.of())) {
            assertRefusedOverTls(broker, "TLS", "certificate does not name 127.0.0.1");
        }
    }

    @Test
    void theOptOutIsNamedLoudlyAndNothingElseTurnsVerificationOff() throws Exception {
        try (Broker unknown = broker("localhost", tls.ca(), Map.of("broker.db-tls", "off"))) {
            assertRefusedOverTls(unknown, "the broker is misconfigured: BROKER_DB_TLS", "insecure-allow-unverified");
        }
        try (Broker optedOut = broker("127.0.0.1", tls.otherCa(), Map.of("broker.db-tls", "insecure-allow-unverified"))) {
            String run = Events.newRunId();
            assertEquals(List.of(), optedOut.handle(Events.escalate(run, "tls@acme.example", "readonly", 600)).errors());
            assertEquals(List.of(), optedOut.handle(Events.deescalate(run, "tls@acme.example", "readonly")).errors());
        }
    }

    /** Nothing is contacted: the setting is refused when the pool is built. */
    @ParameterizedTest
    @ValueSource(strings = {"?sslmode=disable", "?sslmode=allow", "?sslmode=prefer", "?sslmode=require",
            "?sslmode=verify-ca", "?ssl=false", "?sslfactory=org.postgresql.ssl.NonValidatingFactory",
            "?sslmode=verify-full&sslhostnameverifier=org.example.AnyHost"})
    void aRemoteUrlThatWeakensVerificationIsAConfigurationErrorNamingTheSetting(String query) {
        for (String key : List.of("broker.db-url", "broker.ledger-url")) {
            String setting = key.equals("broker.db-url") ? "BROKER_DB_URL" : "BROKER_LEDGER_URL";
            try (Broker broker = new Broker(Map.of(key, "jdbc:postgresql://db.invalid:5432/app" + query,
                    "broker.db-ca-bundle", tls.ca().toString()))) {
                SymResponse response = broker.handle(Events.escalate(Events.newRunId(), "tls@acme.example",
                        "readonly", 600));
                assertEquals(1, response.errors().size());
                String error = response.errors().get(0);
                assertTrue(error.startsWith("the broker is misconfigured: " + setting + ": "), error);
                assertTrue(error.contains("BROKER_DB_TLS=insecure-allow-unverified"), error);
            }
        }
    }

    @Test
    void aRemoteHostWithoutACaBundleIsAConfigurationErrorNamingTheSetting() {
        try (Broker broker = new Broker(Map.of("broker.db-url", "jdbc:postgresql://db.invalid:5432/app"))) {
            SymResponse response = broker.handle(Events.escalate(Events.newRunId(), "tls@acme.example", "readonly", 600));
            assertEquals(1, response.errors().size());
            String error = response.errors().get(0);
            assertTrue(error.startsWith("the broker is misconfigured: BROKER_DB_URL: "), error);
            assertTrue(error.contains("BROKER_DB_CA_BUNDLE"), error);
        }
    }

    /** The ledger commands connect the same way: verified, or refused with one line. */
    @Test
    void theLedgerCommandsVerifyTheServerToo() throws Exception {
        Map<String, String> ca = Map.of("BROKER_DB_CA_BUNDLE", tls.ca().toString(), "PGPASSWORD", "");
        Cli.Run verified = Cli.run(ca, "ledger", "verify", "--url", tls.url("localhost"), "--user", "postgres");
        assertEquals(0, verified.exit(), verified.toString());

        Cli.Run mismatch = Cli.run(ca, "ledger", "verify", "--url", tls.url("127.0.0.1"), "--user", "postgres");
        assertEquals(2, mismatch.exit(), mismatch.toString());
        assertTrue(mismatch.stderr().contains("certificate does not name 127.0.0.1"), mismatch.toString());
        assertEquals(1, mismatch.stderr().strip().lines().count(), mismatch.toString());

        Cli.Run weak = Cli.run(ca, "ledger", "verify", "--url", "jdbc:postgresql://db.invalid/app?sslmode=require",
                "--user", "postgres");
        assertEquals(2, weak.exit(), weak.toString());
        assertTrue(weak.stderr().contains("--url") && weak.stderr().contains("BROKER_DB_TLS"), weak.toString());

        Cli.Run migrate = Cli.run(ca, "migrate", "--url", "jdbc:postgresql://db.invalid/app?sslmode=require",
                "--user", "postgres", "--writer", TestEnvironment.BOT);
        assertEquals(2, migrate.exit(), migrate.toString());
        assertTrue(migrate.stderr().contains("--url") && migrate.stderr().contains("BROKER_DB_TLS"), migrate.toString());
    }
}
