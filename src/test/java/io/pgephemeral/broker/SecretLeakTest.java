package io.pgephemeral.broker;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.pgephemeral.sym.ResponseJson;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;

import static io.pgephemeral.broker.EscalationEndToEndTest.passwordOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generated password must exist only in the broker's memory and in Secrets Manager, even when
 * the statement that carries its verifier fails and the server logs that statement.
 */
class SecretLeakTest {

    private static final TestEnvironment env = TestEnvironment.get();

    /** A DRBG stand-in that repeats for the same seed, so a twin generator knows the broker's password. */
    static final class KnownEntropy extends SecureRandom {
        private long counter;

        KnownEntropy(long seed) {
            this.counter = seed * 1_000_003L;
        }

        @Override
        public synchronized byte[] generateSeed(int n) {
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                out[i] = (byte) (counter++ * 31 + i);
            }
            return out;
        }

        @Override
        public synchronized void nextBytes(byte[] bytes) {
            byte[] seed = generateSeed(bytes.length);
            System.arraycopy(seed, 0, bytes, 0, bytes.length);
        }

        @Override
        public void nextBytes(byte[] bytes, java.security.SecureRandomParameters params) {
            nextBytes(bytes);
        }
    }

    @Test
    void aKnownEntropySourceGivesTheBrokerAPasswordATwinCanPredict() throws Exception {
        String expected = new PasswordGenerator(new KnownEntropy(7)).generate(32);
        try (Broker broker = new Broker(Map.of(), new PasswordGenerator(new KnownEntropy(7)))) {
            String run = Events.newRunId();
            SymResponse r = broker.handle(Events.escalate(run, "twin@acme.example", "readonly", "1h"));
            assertEquals(List.of(), r.errors());
            assertEquals(expected, passwordOf((String) r.body().get("secret_id")));
            broker.handle(Events.deescalate(run, "twin@acme.example", "readonly"));
        }
    }

    @Test
    void aFailingCreateRoleLeaksThePasswordNowhere() throws Exception {
        String password = new PasswordGenerator(new KnownEntropy(11)).generate(32);
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        ch.qos.logback.classic.Level level = ((Logger) LoggerFactory.getLogger("io.pgephemeral")).getLevel();
        ((Logger) LoggerFactory.getLogger("io.pgephemeral")).setLevel(ch.qos.logback.classic.Level.DEBUG);
        String run = Events.newRunId();
        SymResponse response;
        Db.execute("ALTER ROLE " + TestEnvironment.BOT + " NOCREATEROLE");
        // The bot creates the login itself here (no creator roles), so taking its CREATEROLE fails it.
        try (Broker broker = new Broker(Map.of("broker.creator-roles", ""), new PasswordGenerator(new KnownEntropy(11)))) {
            response = broker.handle(Events.escalate(run, "leak@acme.example", "readonly", "1h"));
        } finally {
            Db.execute("ALTER ROLE " + TestEnvironment.BOT + " CREATEROLE");
            root.detachAppender(logs);
            ((Logger) LoggerFactory.getLogger("io.pgephemeral")).setLevel(level);
        }

        // It failed at CREATE ROLE, and the server logged that statement, verifier and all.
        assertEquals(1, response.errors().size());
        assertTrue(response.errors().get(0).contains("permission denied to create role"), response.errors().get(0));
        String serverLog = Files.readString(env.serverLog());
        assertTrue(serverLog.contains("permission denied to create role"));
        assertTrue(java.util.regex.Pattern.compile("STATEMENT:\\s+CREATE ROLE").matcher(serverLog).find(),
                "log_min_error_statement logged the statement");
        assertFalse(logs.list.isEmpty(), "the broker logged the failure");

        assertFalse(serverLog.contains(password), "server log");
        assertFalse(Db.query("SELECT query FROM pg_stat_activity").toString().contains(password), "pg_stat_activity");
        for (ILoggingEvent event : logs.list) {
            String text = event.getFormattedMessage()
                    + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            assertFalse(text.contains(password), "broker log: " + event.getFormattedMessage());
        }
        assertFalse(Db.ledger(run).toString().contains(password), "ledger");
        assertFalse(new String(ResponseJson.bytes(response), StandardCharsets.UTF_8).contains(password), "Sym response");
        assertFalse(response.errors().toString().contains(password), "error lines");
        assertEquals(List.of("requested", "failed"), Db.ledgerEvents(run));
    }
}
