package io.pgephemeral.broker;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.Invariants;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Many Lambda instances at once, each with its own handler, against one database. */
class ConcurrencyTest {

    private static final TestEnvironment env = TestEnvironment.get();

    private record Outcome(String run, String role, List<String> errors) {
    }

    private static <T> List<T> runAll(List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            List<Future<T>> futures = pool.invokeAll(tasks, 4, TimeUnit.MINUTES);
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fiftyConcurrentEscalationsAndDeescalationsOnOneTarget() throws Exception {
        int n = 50;
        List<String> before = Db.managedRoles();
        List<Broker> brokers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            brokers.add(new Broker());
        }
        CountDownLatch start = new CountDownLatch(1);
        List<Callable<Outcome>> tasks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Broker broker = brokers.get(i);
            String requester = "crowd" + i + "@acme.example";
            tasks.add(() -> {
                String run = Events.newRunId();
                start.await();
                SymResponse up = broker.handle(Events.escalate(run, requester, "readonly", "1h"));
                SymResponse down = broker.handle(Events.deescalate(run, requester, "readonly"));
                List<String> errors = new ArrayList<>(up.errors());
                errors.addAll(down.errors());
                return new Outcome(run, (String) up.body().get("role"), errors);
            });
        }
        start.countDown();
        List<Outcome> outcomes;
        try {
            outcomes = runAll(tasks);
        } finally {
            brokers.forEach(Broker::close);
        }

        Set<String> roles = new HashSet<>();
        for (Outcome o : outcomes) {
            assertEquals(List.of(), o.errors(), o.run());
            assertTrue(roles.add(o.role()), "role names are unique: " + o.role());
            assertEquals(List.of("requested", "issued", "revoked"), Db.ledgerEvents(o.run()));
        }
        assertEquals(n, roles.size());
        assertEquals(before, Db.managedRoles(), "every role was dropped");
    }

    @Test
    void sweepsRunningDuringEscalationsNeverTakeAnEscalationForAnOrphan() throws Exception {
        int n = 16;
        List<Broker> brokers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            brokers.add(new Broker());
        }
        AtomicBoolean escalating = new AtomicBoolean(true);
        List<String> sweepErrors = new ArrayList<>();
        Thread sweeper = new Thread(() -> {
            try (Broker sweeping = new Broker()) {
                while (escalating.get()) {
                    sweepErrors.addAll(sweeping.sweep().errors());
                }
            }
        });
        sweeper.start();
        List<Callable<Outcome>> tasks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Broker broker = brokers.get(i);
            String requester = "busy" + i + "@acme.example";
            tasks.add(() -> {
                String run = Events.newRunId();
                SymResponse up = broker.handle(Events.escalate(run, requester, "readonly", "1h"));
                return new Outcome(run, (String) up.body().get("role"), up.errors());
            });
        }
        List<Outcome> outcomes;
        try {
            outcomes = runAll(tasks);
        } finally {
            escalating.set(false);
            sweeper.join();
        }
        try {
            assertEquals(List.of(), sweepErrors);
            for (Outcome o : outcomes) {
                assertEquals(List.of(), o.errors());
                assertTrue(Db.roleExists(o.role()), o.role() + " survived the sweeps");
                assertEquals(List.of("requested", "issued"), Db.ledgerEvents(o.run()));
            }
        } finally {
            for (int i = 0; i < n; i++) {
                brokers.get(i).handle(Events.deescalate(outcomes.get(i).run(), "busy" + i + "@acme.example", "readonly"));
                brokers.get(i).close();
            }
        }
        try (Broker sweeping = new Broker()) {
            sweeping.sweep();
        }
        Invariants.assertNoLoginOrSecretWithoutAnOpenCredential(env.secretsManager());
    }

    @Test
    void twoDeescalatesOfTheSameRunAtOnceRecordOneEnding() throws Exception {
        String run = Events.newRunId();
        try (Broker a = new Broker(); Broker b = new Broker()) {
            SymResponse up = a.handle(Events.escalate(run, "twice.at.once@acme.example", "readonly", "1h"));
            assertEquals(List.of(), up.errors());
            CountDownLatch start = new CountDownLatch(1);
            List<Callable<SymResponse>> both = new ArrayList<>();
            for (Map.Entry<Broker, String> e : Map.of(a, "manual", b, "scheduled").entrySet()) {
                both.add(() -> {
                    Map<String, Object> event = Events.deescalate(run, "twice.at.once@acme.example", "readonly");
                    Events.set(event, e.getValue(), "fields", "deescalate_type");
                    start.await();
                    return e.getKey().handle(event);
                });
            }
            start.countDown();
            for (SymResponse r : runAll(both)) {
                assertEquals(List.of(), r.errors());
            }
            assertTrue(!Db.roleExists((String) up.body().get("role")));
        }
        assertEquals(List.of("requested", "issued", "revoked"), Db.ledgerEvents(run));
    }
}
