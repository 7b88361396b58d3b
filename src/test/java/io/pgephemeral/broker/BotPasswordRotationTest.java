package io.pgephemeral.broker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.pgephemeral.sym.ResponseJson;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.ledger.LedgerDataSourceFactory.LedgerPool;
import io.pgephemeral.database.Sql;
import io.pgephemeral.postgres.TargetDatabase;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bot's password is rotated in Secrets Manager (and in PostgreSQL) under a running broker: the
 * next connection either pool opens is rejected (28P01), the broker re-reads the secret once and
 * logs in with the new password, without a redeploy. A secret that holds a wrong password is not
 * re-read on every attempt.
 */
class BotPasswordRotationTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final FakeSecretsManager secrets = env.secretsManager();

    @Test
    void aRotatedBotPasswordIsPickedUpByBothPoolsWithoutARedeploy() throws Exception {
        String secretId = newBotSecret(env.botPassword());
        String rotated = new PasswordGenerator().generate(32);
        List<SymResponse> responses = new ArrayList<>();
        try (Broker broker = new Broker(readingTheBotPasswordFrom(secretId))) {
            String before = Events.newRunId();
            SymResponse first = broker.handle(Events.escalate(before, "rotation@acme.example", "readonly", "1h"));
            responses.add(first);
            assertEquals(List.of(), first.errors());
            int readsBefore = secrets.calls("GetSecretValue", secretId);
            try {
                // The rotation, as Secrets Manager's single-user rotation does it: the role's
                // password changes, then the secret's value.
                setBotPassword(rotated);
                putBotSecret(secretId, rotated);
                // Sessions logged in with the old password live on; end them so that both pools
                // must log in again. Hikari hands out a connection returned less than its alive
                // bypass window (500 ms) ago without checking it, so also close the pools' idle
                // connections, as that check would once the window has passed.
                terminateBotSessions();
                assertTrue(broker.context().getBean(TargetDatabase.class).closeIdleConnections());
                assertTrue(broker.context().getBean(LedgerPool.class).closeIdleConnections());

                String after = Events.newRunId();
                SymResponse second = broker.handle(Events.escalate(after, "rotation@acme.example", "analytics", "1h"));
                responses.add(second);
                assertEquals(List.of(), second.errors(), "escalate after the rotation");
                SymResponse down = broker.handle(Events.deescalate(before, "rotation@acme.example", "readonly"));
                responses.add(down);
                assertEquals(List.of(), down.errors(), "deescalate of the credential issued before the rotation");
                SymResponse downAfter = broker.handle(Events.deescalate(after, "rotation@acme.example", "analytics"));
                responses.add(downAfter);
                assertEquals(List.of(), downAfter.errors(), "deescalate of the credential issued after the rotation");

                assertTrue(botApplicationNames().containsAll(Set.of("pg-ephemeral", "pg-ephemeral ledger")),
                        "both pools logged in again: " + botApplicationNames());
                assertEquals(1, secrets.calls("GetSecretValue", secretId) - readsBefore, "the secret was re-read once");
            } finally {
                setBotPassword(env.botPassword());
                deleteBotSecret(secretId);
            }
        }
        for (SymResponse response : responses) {
            String text = new String(ResponseJson.bytes(response), StandardCharsets.UTF_8);
            assertFalse(text.contains(rotated) || text.contains(env.botPassword()), "a response holds a bot password");
        }
    }

    @Test
    void aWrongPasswordInTheSecretIsOneClearLineAndIsNotReReadOnEveryAttempt() throws Exception {
        String wrong = new PasswordGenerator().generate(32);
        String secretId = newBotSecret(wrong);
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        Logger hikari = (Logger) LoggerFactory.getLogger("com.zaxxer.hikari");
        Logger broker = (Logger) LoggerFactory.getLogger("io.pgephemeral");
        Level hikariLevel = hikari.getLevel();
        Level brokerLevel = broker.getLevel();
        hikari.setLevel(Level.DEBUG);
        broker.setLevel(Level.DEBUG);
        int readsBefore = secrets.calls("GetSecretValue", secretId);
        List<SymResponse> responses = new ArrayList<>();
        List<String> runs = List.of(Events.newRunId(), Events.newRunId());
        try (Broker running = new Broker(readingTheBotPasswordFrom(secretId))) {
            for (String run : runs) {
                responses.add(running.handle(Events.escalate(run, "wrong.bot@acme.example", "readonly", "1h")));
            }
        } finally {
            root.detachAppender(logs);
            hikari.setLevel(hikariLevel);
            broker.setLevel(brokerLevel);
            deleteBotSecret(secretId);
        }

        for (SymResponse response : responses) {
            assertEquals(1, response.errors().size(), response.errors().toString());
            String line = response.errors().get(0);
            assertEquals(1, line.lines().count(), line);
            assertTrue(line.contains("password authentication failed for user \"ephemeral_bot\""), line);
            assertTrue(line.contains(secretId) && line.contains("put the bot's current password"), line);
        }
        // The first attempt reads the secret, then re-reads it once when the server rejects it;
        // within the re-read interval the second invocation does not ask again.
        assertEquals(2, secrets.calls("GetSecretValue", secretId) - readsBefore, "GetSecretValue calls");
        for (String run : runs) {
            assertEquals(List.of(), Db.ledgerEvents(run), "nothing was recorded for " + run);
        }
        assertFalse(logs.list.isEmpty());
        for (ILoggingEvent event : logs.list) {
            String text = event.getFormattedMessage()
                    + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            assertFalse(text.contains(wrong) || text.contains(env.botPassword()), "broker log: " + event.getFormattedMessage());
        }
        String text = responses.stream().map(r -> new String(ResponseJson.bytes(r), StandardCharsets.UTF_8))
                .collect(java.util.stream.Collectors.joining("\n"));
        assertFalse(text.contains(wrong), "a response holds the secret's password");
    }

    @Test
    void aFixedPasswordThatIsRejectedIsOneLineNamingTheSetting() throws Exception {
        String wrong = new PasswordGenerator().generate(32);
        String run = Events.newRunId();
        SymResponse response;
        try (Broker broker = new Broker(Map.of("broker.db-password", wrong))) {
            response = broker.handle(Events.escalate(run, "fixed.bot@acme.example", "readonly", "1h"));
        }
        assertEquals(1, response.errors().size(), response.errors().toString());
        String line = response.errors().get(0);
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains("password authentication failed for user \"ephemeral_bot\"")
                && line.contains("BROKER_DB_PASSWORD is fixed"), line);
        assertFalse(new String(ResponseJson.bytes(response), StandardCharsets.UTF_8).contains(wrong), "the response holds the password");
        assertEquals(List.of(), Db.ledgerEvents(run));
    }

    /** The test environment's settings, with the bot's password read from this secret only. */
    private static Map<String, Object> readingTheBotPasswordFrom(String secretId) {
        Map<String, Object> overrides = new HashMap<>();
        overrides.put("broker.db-password", null);
        overrides.put("broker.db-secret-id", secretId);
        // Long enough that no second re-read can fall within one test, however slow the machine.
        overrides.put("broker.db-password-reread-interval", "1h");
        return overrides;
    }

    private static SecretsManagerClient client() {
        return SecretsManagerClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    /** A secret shaped like an RDS-managed one, outside the broker's prefix; returns its name. */
    private static String newBotSecret(String password) throws Exception {
        String name = "pg-ephemeral-bot/db-password-" + UUID.randomUUID();
        try (SecretsManagerClient client = client()) {
            String value = botSecretValue(password);
            client.createSecret(b -> b.name(name).secretString(value));
        }
        return name;
    }

    private static void putBotSecret(String secretId, String password) throws Exception {
        try (SecretsManagerClient client = client()) {
            String value = botSecretValue(password);
            client.putSecretValue(b -> b.secretId(secretId).secretString(value));
        }
    }

    private static void deleteBotSecret(String secretId) {
        try (SecretsManagerClient client = client()) {
            client.deleteSecret(b -> b.secretId(secretId).forceDeleteWithoutRecovery(true));
        }
    }

    private static String botSecretValue(String password) throws Exception {
        return env.json().writeValueAsString(Map.of("username", TestEnvironment.BOT, "password", password,
                "engine", "postgres"));
    }

    /** As the administrator, with a SCRAM verifier: the password itself never reaches the server. */
    private static void setBotPassword(String password) {
        Db.execute("ALTER ROLE " + TestEnvironment.BOT + " PASSWORD " + Sql.literal(ScramVerifier.of(password,
                new PasswordGenerator().randomBytes(16), ScramVerifier.DEFAULT_ITERATIONS)));
    }

    /** Ends every session of the bot and, where the server can, waits until they are gone. */
    private static void terminateBotSessions() {
        String terminate = env.serverMajor() >= 14 ? "pg_terminate_backend(pid, 10000)" : "pg_terminate_backend(pid)";
        Db.query("SELECT " + terminate + " FROM pg_stat_activity WHERE usename = ?", TestEnvironment.BOT);
    }

    private static Set<String> botApplicationNames() {
        Set<String> names = new HashSet<>();
        for (Map<String, Object> row : Db.query("SELECT application_name FROM pg_stat_activity WHERE usename = ?",
                TestEnvironment.BOT)) {
            names.add((String) row.get("application_name"));
        }
        return names;
    }
}
