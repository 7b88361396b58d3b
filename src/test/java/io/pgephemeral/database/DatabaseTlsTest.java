package io.pgephemeral.database;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.Driver;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The URL rule on its own: which hosts must verify, and what the driver is then told. */
class DatabaseTlsTest {

    private static Path bundle() throws Exception {
        Path dir = Files.createTempDirectory("ca dir & more");
        return Files.writeString(dir.resolve("global-bundle.pem"), "-----BEGIN CERTIFICATE-----\n");
    }

    @Test
    void aRemoteHostIsToldVerifyFullAndTheBundleEvenWhenItsPathNeedsEscaping() throws Exception {
        Path ca = bundle();
        String url = new DatabaseTls(true, ca).secure("jdbc:postgresql://db.example.com:5432/app?ApplicationName=x",
                "BROKER_DB_URL");
        Properties p = Driver.parseURL(url, null);
        assertEquals("verify-full", p.getProperty("sslmode"));
        assertEquals(ca.toString(), p.getProperty("sslrootcert"));
        assertEquals("x", p.getProperty("ApplicationName"));
    }

    /** Names that only look local, and a host list with one remote host, must verify too. */
    @ParameterizedTest
    @ValueSource(strings = {"localhost.example.com", "127.0.0.1.nip.io", "localhost:5432,db.example.com",
            "10.0.0.5", "[fd00::1]", "0.0.0.0"})
    void onlyLiteralLoopbackIsLeftAlone(String hosts) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DatabaseTls(true, null).secure("jdbc:postgresql://" + hosts + "/app", "BROKER_DB_URL"));
        assertTrue(e.getMessage().startsWith("BROKER_DB_URL: ") && e.getMessage().contains("BROKER_DB_CA_BUNDLE"),
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "127.0.0.1", "127.3.2.1", "[::1]", "localhost:1,127.0.0.1:2"})
    void loopbackWithoutABundleIsLeftAsItIs(String hosts) {
        String url = "jdbc:postgresql://" + hosts + "/app";
        assertEquals(url, new DatabaseTls(true, null).secure(url, "BROKER_DB_URL"));
    }

    @Test
    void aBundleMakesLoopbackVerifyToo() throws Exception {
        String url = new DatabaseTls(true, bundle()).secure("jdbc:postgresql://localhost/app?", "BROKER_DB_URL");
        assertEquals("verify-full", Driver.parseURL(url, null).getProperty("sslmode"));
    }

    @Test
    void aUrlThatAlreadyVerifiesWithItsOwnRootCertIsKept() {
        String url = "jdbc:postgresql://db.example.com/app?sslmode=verify-full&sslrootcert=/etc/ca.pem";
        assertEquals(url, new DatabaseTls(true, null).secure(url, "BROKER_DB_URL"));
    }

    @Test
    void twoDifferentRootCertsAreAConfigurationError() throws Exception {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new DatabaseTls(true, bundle())
                .secure("jdbc:postgresql://db.example.com/app?sslrootcert=/etc/other.pem", "BROKER_LEDGER_URL"));
        assertTrue(e.getMessage().startsWith("BROKER_LEDGER_URL: "), e.getMessage());
    }

    @Test
    void theOptOutLeavesEveryUrlAsItIs() {
        String url = "jdbc:postgresql://db.example.com/app?sslmode=disable";
        assertEquals(url, new DatabaseTls(false, null).secure(url, "BROKER_DB_URL"));
    }

    @Test
    void explainsOnlyTlsFailures() {
        assertTrue(DatabaseTls.explain(new java.sql.SQLException("connection refused")).isEmpty());
        assertFalse(DatabaseTls.explain(new java.sql.SQLException("pool timeout", new java.sql.SQLException(
                "The hostname 10.1.2.3 could not be verified by hostnameverifier PgjdbcHostnameVerifier."))).isEmpty());
    }
}
