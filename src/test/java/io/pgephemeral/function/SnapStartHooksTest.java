package io.pgephemeral.function;

import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.ledger.LedgerDataSourceFactory.LedgerPool;
import io.pgephemeral.postgres.TargetDatabase;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.Test;

import java.security.DrbgParameters;
import java.security.SecureRandom;
import java.security.SecureRandomParameters;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SnapStart hooks, called as Lambda calls them around a snapshot (a checkpoint cannot be
 * taken inside a test JVM, so the test plays the runtime's part).
 */
class SnapStartHooksTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final FakeSecretsManager secrets = env.secretsManager();

    /**
     * Priming runs the read paths against the real database, writes nothing, and leaves no
     * connection open in either pool; after the restore the handler reconnects and issues as usual.
     */
    @Test
    void primingWritesNothingAndNoConnectionSurvivesIntoTheSnapshot() {
        try (Broker broker = new Broker()) {
            // A warm handler, as at the end of Lambda's init phase with connections in its pools.
            String earlier = Events.newRunId();
            broker.handle(Events.escalate(earlier, "before.snapshot@acme.example", "readonly", "1h"));
            broker.handle(Events.deescalate(earlier, "before.snapshot@acme.example", "readonly"));
            assertTrue(pool(broker).getTotalConnections() + ledgerPool(broker).getTotalConnections() > 0);

            long ledgerRows = Db.ledgerSize();
            List<String> roles = Db.managedRoles();
            int liveSecrets = secrets.liveSecrets().size();
            int writes = secrets.calls("CreateSecret") + secrets.calls("PutSecretValue") + secrets.calls("DeleteSecret");

            SnapStartHooks hooks = new SnapStartHooks(broker.context());
            hooks.beforeCheckpoint(null);

            assertEquals(ledgerRows, Db.ledgerSize(), "no ledger row");
            assertEquals(roles, Db.managedRoles(), "no role");
            assertEquals(liveSecrets, secrets.liveSecrets().size(), "no secret");
            assertEquals(writes, secrets.calls("CreateSecret") + secrets.calls("PutSecretValue")
                    + secrets.calls("DeleteSecret"), "no Secrets Manager write");
            assertEquals(0, pool(broker).getTotalConnections(), "target pool empty");
            assertEquals(0, ledgerPool(broker).getTotalConnections(), "ledger pool empty");

            hooks.afterRestore(null);
            String run = Events.newRunId();
            SymResponse up = broker.handle(Events.escalate(run, "after.restore@acme.example", "readonly", "1h"));
            assertEquals(List.of(), up.errors());
            assertEquals(List.of(), broker.handle(Events.deescalate(run, "after.restore@acme.example", "readonly"))
                    .errors());
        }
    }

    /**
     * A pool that cannot be emptied (a connection still checked out) stops the snapshot and is
     * named; every other pool is still closed. The hook finds the pools by their interface, so a
     * pool an adapter adds is covered without the entry point knowing it.
     */
    @Test
    void aPoolThatCannotBeEmptiedIsNamedAndTheOthersAreStillClosed() throws Exception {
        try (Broker broker = new Broker()) {
            String run = Events.newRunId();
            broker.handle(Events.escalate(run, "held.open@acme.example", "readonly", "1h"));
            broker.handle(Events.deescalate(run, "held.open@acme.example", "readonly"));
            try (java.sql.Connection held = broker.context().getBean(LedgerPool.class).pool().getConnection()) {
                IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalStateException.class, () -> new SnapStartHooks(broker.context()).beforeCheckpoint(null));
                assertTrue(refused.getMessage().endsWith(": ledger"), refused.getMessage());
                assertEquals(0, pool(broker).getTotalConnections(), "target pool empty");
                assertTrue(held.isValid(1), "the held connection was not taken from its user");
            }
        }
    }

    /**
     * Two environments restored from one snapshot hold the same generator state: until the restore
     * they produce the same password. The restore hook reseeds the generator with fresh entropy,
     * which differs per environment as the operating system's does, and from then on their
     * passwords differ. (The real DRBG also asks for fresh entropy on every draw; this stand-in
     * does not, so only the hook can part the two.)
     */
    @Test
    void eachRestoredEnvironmentReseedsItsPasswordGenerator() {
        SnapshotDrbg drbgA = new SnapshotDrbg();
        SnapshotDrbg drbgB = new SnapshotDrbg();
        PasswordGenerator a = new PasswordGenerator(drbgA);
        PasswordGenerator b = new PasswordGenerator(drbgB);
        assertEquals(a.generate(32), b.generate(32), "before the restore the two are one snapshot");

        drbgA.restoredAs(1);
        drbgB.restoredAs(2);
        try (Broker restoredA = new Broker(Map.of(), a); Broker restoredB = new Broker(Map.of(), b)) {
            new SnapStartHooks(restoredA.context()).afterRestore(null);
            new SnapStartHooks(restoredB.context()).afterRestore(null);
            DrbgParameters.Reseed asked = assertInstanceOf(DrbgParameters.Reseed.class, drbgA.reseededWith);
            assertTrue(asked.getPredictionResistance(), "the restore hook asked for fresh entropy");
        }
        assertNotEquals(a.generate(32), b.generate(32));
    }

    /**
     * A DRBG stand-in: its state is what the snapshot held, the same in every copy, until a reseed
     * mixes in the entropy of the environment it was restored in.
     */
    private static final class SnapshotDrbg extends SecureRandom {
        private Random state = new Random(20261123L);
        private long environmentEntropy;
        private SecureRandomParameters reseededWith;

        void restoredAs(long environment) {
            environmentEntropy = environment;
        }

        @Override
        public synchronized void nextBytes(byte[] bytes, SecureRandomParameters params) {
            state.nextBytes(bytes);
        }

        @Override
        public synchronized void reseed(SecureRandomParameters params) {
            reseededWith = params;
            state = new Random(state.nextLong() ^ environmentEntropy);
        }
    }

    private static com.zaxxer.hikari.HikariPoolMXBean pool(Broker broker) {
        return poolOf(broker.context().getBean(TargetDatabase.class));
    }

    private static com.zaxxer.hikari.HikariPoolMXBean ledgerPool(Broker broker) {
        return broker.context().getBean(LedgerPool.class).pool().getHikariPoolMXBean();
    }

    private static com.zaxxer.hikari.HikariPoolMXBean poolOf(TargetDatabase database) {
        return database.poolStatus();
    }
}
