package io.pgephemeral.broker;

import io.pgephemeral.ledger.LedgerChain;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Backends;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSecretsManager;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A deescalate and its escalate arriving together, on two Lambda instances. Whatever the order in
 * which their ledger reads and writes interleave, access to the run ends: no login of the run
 * survives and no secret holds its password.
 */
@Tag("compat")
class RunClosingTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final FakeSecretsManager secrets = env.secretsManager();
    private static Broker escalating;
    private static Broker deescalating;

    @BeforeAll
    static void start() {
        escalating = new Broker();
        deescalating = new Broker();
    }

    @AfterAll
    static void stop() {
        escalating.close();
        deescalating.close();
    }

    /** Holds the ledger's chain lock, which every append takes, in a transaction of another session. */
    private static Connection holdChainLock() throws Exception {
        Connection holder = env.admin();
        holder.setAutoCommit(false);
        try (Statement s = holder.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + LedgerChain.LOCK_CLASS
                    + ", 'ephemeral.ledger_event'::regclass::oid::int4)");
        }
        return holder;
    }

    /** Logins of the run that still exist, by the role names its ledger rows name. */
    private static List<String> survivingLogins(String run) {
        return Db.ledger(run).stream().map(r -> (String) r.get("role_name")).distinct()
                .filter(Db::roleExists).toList();
    }

    @Test
    void bothReadTheRunBeforeEitherWritesAndAccessStillEnds() throws Exception {
        String run = Events.newRunId();
        String requester = "race.read@acme.example";
        SymResponse escalated;
        SymResponse deescalated;
        try (Connection holder = holdChainLock()) {
            // Both queue behind the lock to write with nothing recorded for the run: the escalation
            // its first request (a fresh run's request is written unread), the deescalate the run's
            // end, having read the run and found nothing.
            CompletableFuture<SymResponse> up = CompletableFuture.supplyAsync(
                    () -> escalating.handle(Events.escalate(run, requester, "readonly", "1h")));
            Backends.awaitLedgerWriters(1);
            CompletableFuture<SymResponse> down = CompletableFuture.supplyAsync(
                    () -> deescalating.handle(Events.deescalate(run, requester, "readonly")));
            Backends.awaitLedgerWriters(2);
            holder.rollback();
            escalated = up.get(60, TimeUnit.SECONDS);
            deescalated = down.get(60, TimeUnit.SECONDS);
        }
        assertEquals(List.of(), deescalated.errors());
        assertEquals(1, escalated.errors().size(), "the escalation must not report success: " + escalated.body());
        assertTrue(escalated.errors().get(0).contains("ended"), escalated.errors().get(0));
        assertEquals(List.of(), survivingLogins(run));
        assertNull(secrets.secret("pg-ephemeral/" + requester + "/readonly"));
    }

    @Test
    void theDeescalateClosesTheRunFirstAndTheEscalationIsRefused() throws Exception {
        String run = Events.newRunId();
        String requester = "race.first@acme.example";
        SymResponse deescalated = deescalating.handle(Events.deescalate(run, requester, "readonly"));
        assertEquals(List.of(), deescalated.errors());
        SymResponse escalated = escalating.handle(Events.escalate(run, requester, "readonly", "1h"));
        assertEquals(1, escalated.errors().size());
        assertEquals(List.of(), survivingLogins(run));
    }

    @Test
    void manyPairsOfOneRunStartedTogetherLeaveNoLogin() throws Exception {
        int pairs = 8;
        List<Broker> brokers = new ArrayList<>();
        for (int i = 0; i < 2 * pairs; i++) {
            brokers.add(new Broker());
        }
        ExecutorService pool = Executors.newFixedThreadPool(2 * pairs);
        try {
            for (int round = 0; round < 3; round++) {
                CountDownLatch start = new CountDownLatch(1);
                List<String> runs = new ArrayList<>();
                List<Future<SymResponse>> calls = new ArrayList<>();
                for (int i = 0; i < pairs; i++) {
                    String run = Events.newRunId();
                    String requester = "pair" + round + "." + i + "@acme.example";
                    runs.add(run);
                    Broker up = brokers.get(2 * i);
                    Broker down = brokers.get(2 * i + 1);
                    calls.add(pool.submit(() -> {
                        start.await();
                        return up.handle(Events.escalate(run, requester, "readonly", "1h"));
                    }));
                    calls.add(pool.submit(() -> {
                        start.await();
                        return down.handle(Events.deescalate(run, requester, "readonly"));
                    }));
                }
                start.countDown();
                for (int i = 0; i < calls.size(); i++) {
                    SymResponse response = calls.get(i).get(2, TimeUnit.MINUTES);
                    if (i % 2 == 1) {
                        assertEquals(List.of(), response.errors(), "deescalate of " + runs.get(i / 2));
                    }
                }
                for (String run : runs) {
                    assertEquals(List.of(), survivingLogins(run), "run " + run + ": " + Db.ledgerEvents(run));
                }
            }
        } finally {
            pool.shutdownNow();
            brokers.forEach(Broker::close);
        }
        assertEquals(List.of(), secrets.liveSecrets().stream().map(s -> s.name)
                .filter(n -> n.startsWith("pg-ephemeral/pair")).toList());
    }
}
