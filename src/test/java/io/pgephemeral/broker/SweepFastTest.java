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

    /**
     * On 16+ with creator roles, logins of one creator are cheapest removed together (one SET ROLE
     * for all of them; each switch walks every creator's memberships). The sweep removes what is
     * due batch by batch, the batch that holds the oldest credential first, so none waits forever
     * behind the others when a sweep runs out of time.
     */
    @Test
    void expiredCredentialsAreRemovedBatchByBatchOldestBatchFirst() {
        java.util.Map<String, String> batches = new java.util.HashMap<>();
        List<String> made = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Escalated e = broker.escalation.escalate(new EscalationRequest("srn:sym:run:batch-" + i,
                    "user" + i + "@acme.example", "ops@acme.example", null, "readonly", Duration.ofHours(1)));
            batches.put(e.roleName(), i % 2 == 0 ? "creator_b" : "creator_a");
            made.add(e.roleName());
            broker.clock.advance(Duration.ofMinutes(1));
        }
        broker.roles.batchBy(batches::get);
        broker.clock.advance(Duration.ofHours(2));

        Swept swept = broker.sweep.sweep();

        assertEquals(6, swept.expired());
        assertEquals(List.of(List.of(made.get(0), made.get(2), made.get(4), made.get(1), made.get(3), made.get(5))),
                broker.roles.removeAllCalls());
    }

    /**
     * A big sweep's groups overlap: while one group's secrets are still being removed (network
     * calls, on the workers), the next group's roles are already being removed (the database).
     */
    @Test
    void theNextGroupsRolesGoWhileThisGroupsSecretsAreStillBeingRemoved() throws Exception {
        for (int i = 0; i < 101; i++) {
            broker.escalation.escalate(new EscalationRequest("srn:sym:run:overlap-" + i,
                    "user" + i + "@acme.example", "ops@acme.example", null, "readonly", Duration.ofHours(1)));
        }
        broker.clock.advance(Duration.ofHours(2));
        PortCalls.Pause secret = broker.calls.pauseAtAnyThread("secrets.remove");
        PortCalls.Pause nextGroup = broker.calls.pauseAtAnyThread("roles.removeAll", 1);

        CompletableFuture<Swept> sweeping = CompletableFuture.supplyAsync(broker.sweep::sweep);
        secret.awaitReached();
        nextGroup.awaitReached();
        nextGroup.resume();
        secret.resume();

        Swept swept = sweeping.get(10, TimeUnit.SECONDS);
        assertEquals(101, swept.expired());
        assertEquals(List.of(), broker.roles.names());
        assertEquals(List.of(), broker.secrets.names());
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

    /**
     * Listing the broker's secrets serves only the clean-up of stray ones. When the listing fails
     * (throttled, denied, an unreadable local file), the expired credentials are still ended: their
     * sessions must not outlive them because of it. The failure is reported, and strays wait.
     */
    @Test
    void aFailedSecretListingDoesNotKeepExpiredCredentialsAlive() {
        Escalated expired = broker.escalation.escalate(escalate("srn:sym:run:listing-fails"));
        broker.clock.advance(Duration.ofMinutes(61));
        broker.secrets.failNext("secrets.list", new BrokerException("could not list secrets: ThrottlingException"));

        Swept swept = broker.sweep.sweep();

        assertEquals(1, swept.expired());
        assertEquals(List.of(), broker.roles.names());
        assertEquals(List.of(), broker.secrets.names());
        assertEquals(CredentialEvent.EXPIRED, state(expired).event());
        assertEquals(List.of("stray secrets: could not list secrets: ThrottlingException; they wait for the next sweep"),
                swept.failures());
    }

    private CredentialEntry state(Escalated e) {
        return broker.ledger.statesOfRole(e.roleName()).get(0);
    }
}
