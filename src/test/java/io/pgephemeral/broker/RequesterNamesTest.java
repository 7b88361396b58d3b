package io.pgephemeral.broker;

import io.pgephemeral.secrets.SecretNames;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requester names are checked against every limit downstream before anything is written, and the
 * requester to secret-name mapping is one to one: two requesters never share a secret name.
 */
class RequesterNamesTest {

    private static final TestEnvironment env = TestEnvironment.get();

    /** Pairs that differ only in a character the old mapping replaced by {@code _}. */
    @ParameterizedTest
    @ValueSource(strings = {"jane/doe@b.example", "jane!doe@b.example", "jane%doe@b.example", "jane#doe@b.example",
            "jane'doe@b.example", "jane*doe@b.example", "jane?doe@b.example", "jane~doe@b.example"})
    void aRequesterThatWouldShareASecretNameIsRefusedAndTheOtherKeepsItsSecret(String lookalike) {
        try (Broker broker = new Broker()) {
            String run = Events.newRunId();
            SymResponse first = broker.handle(Events.escalate(run, "jane_doe@b.example", "readonly", 600));
            assertEquals(List.of(), first.errors());
            String secretName = (String) first.body().get("secret_id");
            String role = (String) first.body().get("role");

            long ledgerBefore = Db.ledgerSize();
            List<String> rolesBefore = Db.managedRoles();
            int createsBefore = env.secretsManager().calls("CreateSecret");
            SymResponse second = broker.handle(Events.escalate(Events.newRunId(), lookalike, "readonly", 600));
            assertEquals(1, second.errors().size(), lookalike + ": " + second);
            assertTrue(second.errors().get(0).contains("secret name"), second.errors().get(0));
            assertEquals(ledgerBefore, Db.ledgerSize(), "no ledger row");
            assertEquals(rolesBefore, Db.managedRoles(), "no role");
            assertEquals(createsBefore, env.secretsManager().calls("CreateSecret"), "no secret");

            FakeSecretsManager.Secret kept = env.secretsManager().secret(secretName);
            assertNotNull(kept);
            assertEquals("jane_doe@b.example", kept.tags.get("pg-ephemeral:requester"));
            assertEquals(role, kept.tags.get("pg-ephemeral:role"));
            broker.handle(Events.deescalate(run, "jane_doe@b.example", "readonly"));
        }
    }

    /** Requesters that differ in one allowed character get different secrets, each its own. */
    @Test
    void requestersDifferingInOneAllowedCharacterGetDifferentSecrets() {
        List<String> requesters = List.of("jane_doe@b.example", "jane.doe@b.example", "jane-doe@b.example",
                "jane+doe@b.example", "jane=doe@b.example", "janedoe@b.example");
        try (Broker broker = new Broker()) {
            Set<String> names = new HashSet<>();
            for (String requester : requesters) {
                String run = Events.newRunId();
                SymResponse r = broker.handle(Events.escalate(run, requester, "readonly", 600));
                assertEquals(List.of(), r.errors(), requester);
                String name = (String) r.body().get("secret_id");
                assertTrue(names.add(name), "a second requester got secret " + name);
                assertEquals(requester, env.secretsManager().secret(name).tags.get("pg-ephemeral:requester"));
                broker.handle(Events.deescalate(run, requester, "readonly"));
            }
        }
    }

    @Test
    void theMappingIsOneToOneOrRefuses() {
        SecretNames names = new SecretNames("pg-ephemeral/");
        List<String> candidates = List.of("a_b@x.example", "a.b@x.example", "a-b@x.example", "a+b@x.example",
                "a=b@x.example", "ab@x.example", "a_b@x-y.example", "a_b@x.y.example");
        Set<String> seen = new HashSet<>();
        for (String requester : candidates) {
            assertTrue(seen.add(names.of(requester, "readonly")), requester);
            // The name says whose it is: the requester comes back out of it unchanged.
            assertEquals("pg-ephemeral/" + requester + "/readonly", names.of(requester, "readonly"));
        }
        for (String refused : List.of("a/b@x.example", "a!b@x.example", "a b@x.example", "a%2fb@x.example",
                "a&b@x.example", "a{b}@x.example", "a|b@x.example", "a^b@x.example", "a`b@x.example", "a$b@x.example")) {
            RequestRefused e = assertThrows(RequestRefused.class, () -> names.of(refused, "readonly"), refused);
            assertTrue(e.getMessage().contains("secret name"), e.getMessage());
        }
    }

    /**
     * A 200-character prefix (the most the broker accepts), a 100-character target and a
     * requester of 254: 555 characters, over Secrets Manager's 512. Refused before anything is
     * written, naming the limit.
     */
    @Test
    void aSecretNameOverSecretsManagersLimitIsRefusedUpFront() {
        String target = "t".repeat(100);
        String prefix = "p".repeat(199) + "/";
        String requester = "j".repeat(64) + "@" + ("d".repeat(59) + ".").repeat(3) + "d".repeat(9);
        assertEquals(254, requester.length());
        try (Broker broker = new Broker(Map.of("broker.secret-prefix", prefix, "broker.targets", target + "=readonly"))) {
            long ledgerBefore = Db.ledgerSize();
            List<String> rolesBefore = Db.managedRoles();
            int createsBefore = env.secretsManager().calls("CreateSecret");
            SymResponse r = broker.handle(Events.escalate(Events.newRunId(), requester, target, 600));
            assertEquals(1, r.errors().size(), r.toString());
            assertTrue(r.errors().get(0).contains("512"), r.errors().get(0));
            assertEquals(ledgerBefore, Db.ledgerSize());
            assertEquals(rolesBefore, Db.managedRoles());
            assertEquals(createsBefore, env.secretsManager().calls("CreateSecret"));

            // The longest requester that fits does get a credential, with a role name of at most 63 bytes.
            String fits = "j".repeat(64) + "@" + "d".repeat(63) + "." + "d".repeat(63) + "." + "d".repeat(18);
            assertEquals(512 - prefix.length() - 1 - target.length(), fits.length());
            String run = Events.newRunId();
            SymResponse ok = broker.handle(Events.escalate(run, fits, target, 600));
            assertEquals(List.of(), ok.errors());
            assertEquals(512, ((String) ok.body().get("secret_id")).length());
            broker.handle(Events.deescalate(run, fits, target));
        }
    }

    /** {@code creds} maps names the same way, so it refuses the same requesters, in one line. */
    @Test
    void credsRefusesARequesterNoSecretCanBeNamedFor() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("secrets");
        io.pgephemeral.testing.Cli.Run run = io.pgephemeral.testing.Cli.inProcess(
                Map.of("broker.secret-store", "local", "broker.secret-dir", dir.toString()),
                "creds", "readonly", "--requester", "jane/doe@b.example");
        assertEquals(2, run.exit(), run.toString());
        assertEquals("", run.stdout());
        assertEquals(1, run.stderr().lines().count(), run.toString());
        assertTrue(run.stderr().startsWith("creds: requester 'jane/doe@b.example' cannot be part of a secret name"),
                run.toString());
    }

    /** The longest address RFC 5321 allows gets a working credential; its role name fits in 63 bytes. */
    @Test
    void theLongestAllowedRequesterGetsAWorkingCredential() throws Exception {
        String requester = "j".repeat(64) + "@" + ("d".repeat(59) + ".").repeat(3) + "d".repeat(9);
        try (Broker broker = new Broker()) {
            String run = Events.newRunId();
            SymResponse r = broker.handle(Events.escalate(run, requester, "readonly", 600));
            assertEquals(List.of(), r.errors());
            String role = (String) r.body().get("role");
            assertTrue(role.getBytes(StandardCharsets.UTF_8).length <= 63, role);
            assertTrue(Db.roleExists(role), "the server kept the name as given: " + role);
            assertEquals(requester, env.secretsManager().secret((String) r.body().get("secret_id"))
                    .tags.get("pg-ephemeral:requester"));
            broker.handle(Events.deescalate(run, requester, "readonly"));
            assertFalse(Db.roleExists(role));
        }
    }
}
