package io.pgephemeral.broker;

import io.pgephemeral.testing.memory.InMemoryBroker;
import io.pgephemeral.testing.memory.InMemoryRoles;
import io.pgephemeral.testing.memory.PortCalls;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.pgephemeral.broker.EscalationFastTest.escalate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sweep against the in-memory ports: expiry, leftovers of crashes, and a deescalate racing its batch close. */
@Tag("fast")
class SweepFastTest {

    private final InMemoryBroker broker = new InMemoryBroker();

    @Test
    void endsExpiredCredentialsInOneGroupAndLeavesLiveOnesAlone() {
        Escalated a = broker.escalation.escalate(escalate("srn:sym:run:sweep-a"));
        Escalated b = broker.escalation.escalate(new EscalationRequest("srn:sym:run:sweep-b", "bob@acme.example",
                "ops@acme.example", null, "readonly", Duration.ofHours(1)));
        broker.clock.advance(Duration.ofMinutes(61));
        Escalated live = broker.escalation.escalate(new EscalationRequest("srn:sym:run:sweep-c",
                "carol@acme.example", "ops@acme.example", null, "readonly", Duration.ofHours(1)));

        Swept swept = broker.sweep.sweep();

        assertEquals(2, swept.expired());
        assertEquals(List.of(live.roleName()), broker.roles.names());
        assertEquals(1, broker.secrets.names().size());
        assertEquals(CredentialEvent.EXPIRED, state(a).event());
        assertEquals(CredentialEvent.EXPIRED, state(b).event());
        assertEquals(CredentialEvent.ISSUED, state(live).event());
    }

    @Test
    void removesARoleTheLedgerNeverRecordedAndNotesIt() {
        broker.roles.put(new InMemoryRoles.Role("eph_stray_aaaaaaaaaa", broker.clock.instant().plusSeconds(600),
                true, 1, false));

        Swept swept = broker.sweep.sweep();

        assertEquals(1, swept.orphans());
        assertEquals(List.of(), broker.roles.names());
        assertTrue(broker.ledger.all().stream().anyMatch(e -> e.event() == CredentialEvent.RECONCILED
                && e.roleName().equals("eph_stray_aaaaaaaaaa")));
    }

    @Test
    void closesAnIssuedCredentialWhoseRoleVanished() {
        Escalated issued = broker.escalation.escalate(escalate("srn:sym:run:sweep-v"));
        broker.roles.remove(issued.roleName());

        Swept swept = broker.sweep.sweep();

        assertEquals(1, swept.vanished());
        assertEquals(CredentialEvent.RECONCILED, state(issued).event());
        assertEquals(List.of(), broker.secrets.names());
    }

    @Test
    void aSecondSweepDoesNothingWhileOneRuns() throws Exception {
        AtomicReference<PortCalls.Pause> pause = new AtomicReference<>();
        CountDownLatch armed = new CountDownLatch(1);
        CompletableFuture<Swept> first = CompletableFuture.supplyAsync(() -> {
            pause.set(broker.calls.pauseAt("roles.managedRoles", Thread.currentThread()));
            armed.countDown();
            return broker.sweep.sweep();
        });
        assertTrue(armed.await(5, TimeUnit.SECONDS));
        pause.get().awaitReached();

        Swept second = broker.sweep.sweep();
        pause.get().resume();

        assertTrue(second.skipped());
        assertTrue(!first.get(5, TimeUnit.SECONDS).skipped());
    }

    /**
     * A deescalate ends an expired credential between the sweep's read of the ledger and its batch
     * close: the ledger keeps one close (the deescalate's), and nothing is left.
     */
    @Test
    void aDeescalateInsideTheSweepsBatchIsRecordedOnce() throws Exception {
        Escalated issued = broker.escalation.escalate(escalate(DeescalationFastTest.RUN));
        broker.clock.advance(Duration.ofHours(2));
        AtomicReference<PortCalls.Pause> pause = new AtomicReference<>();
        CountDownLatch armed = new CountDownLatch(1);
        CompletableFuture<Swept> sweeping = CompletableFuture.supplyAsync(() -> {
            pause.set(broker.calls.pauseAt("roles.removeAll", Thread.currentThread()));
            armed.countDown();
            return broker.sweep.sweep();
        });
        assertTrue(armed.await(5, TimeUnit.SECONDS));
        pause.get().awaitReached();

        broker.deescalation.deescalate(DeescalationFastTest.deescalate(DeescalationFastTest.RUN));
        pause.get().resume();
        sweeping.get(5, TimeUnit.SECONDS);

        List<CredentialEvent> closes = broker.ledger.history(issued.credentialId()).stream()
                .map(CredentialEntry::event).filter(CredentialEvent::closes).toList();
        assertEquals(List.of(CredentialEvent.REVOKED), closes);
        assertEquals(List.of(), broker.roles.names());
        assertEquals(List.of(), broker.secrets.names());
    }

    private CredentialEntry state(Escalated e) {
        return broker.ledger.statesOfRole(e.roleName()).get(0);
    }
}
