package io.pgephemeral.broker;

import io.pgephemeral.testing.memory.InMemoryBroker;
import io.pgephemeral.testing.memory.PortCalls;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Escalation against the in-memory ports: no PostgreSQL, no AWS, milliseconds. The database
 * tests (LifecycleTest, FaultTest, ...) prove the same against the real parts.
 */
@Tag("fast")
class EscalationFastTest {

    static final String RUN = "srn:sym:run:fast-1";
    static final String ALICE = "alice@acme.example";

    static EscalationRequest escalate(String run) {
        return new EscalationRequest(run, ALICE, "ops@acme.example", "incident", "readonly", Duration.ofHours(1));
    }

    private final InMemoryBroker broker = new InMemoryBroker();

    @Test
    void issuesARoleASecretAndRecordsRequestedThenIssued() {
        Escalated done = broker.escalation.escalate(escalate(RUN));

        assertEquals(List.of(done.roleName()), broker.roles.names());
        assertEquals(Escalation.version(RUN, 1), broker.secrets.current(done.secretName()).orElseThrow().version());
        assertEquals(List.of(CredentialEvent.REQUESTED, CredentialEvent.ISSUED),
                broker.ledger.history(done.credentialId()).stream().map(CredentialEntry::event).toList());
        assertEquals(broker.clock.instant().plus(Duration.ofHours(1)), done.validUntil());
    }

    @Test
    void aRepeatedEscalateAnswersTheSameAndChangesNothing() {
        Escalated first = broker.escalation.escalate(escalate(RUN));
        int entries = broker.ledger.all().size();

        Escalated again = broker.escalation.escalate(escalate(RUN));

        assertTrue(again.replay());
        assertEquals(first.credentialId(), again.credentialId());
        assertEquals(entries, broker.ledger.all().size());
        assertEquals(List.of(first.roleName()), broker.roles.names());
    }

    @Test
    void aFailedSecretWriteLeavesNoRoleAndRecordsTheFailure() {
        broker.secrets.failNext("secrets.store", new BrokerException("Secrets Manager is unreachable"));

        BrokerException e = assertThrows(BrokerException.class, () -> broker.escalation.escalate(escalate(RUN)));

        assertTrue(e.getMessage().contains("Secrets Manager is unreachable"), e.getMessage());
        assertEquals(List.of(), broker.roles.names());
        assertEquals(List.of(), broker.secrets.names());
        assertEquals(List.of(CredentialEvent.REQUESTED, CredentialEvent.FAILED),
                broker.ledger.all().stream().map(CredentialEntry::event).toList());
        // A failed attempt does not end the run: the retry is a second attempt, and it is issued.
        Escalated retry = broker.escalation.escalate(escalate(RUN));
        assertEquals(2, broker.ledger.history(retry.credentialId()).get(0).attempt());
    }

    @Test
    void anUnfinishedAttemptIsRefusedWithinTheWindowAndCleanedUpAfterIt() {
        // A crash between 'requested' and the role: the escalation's undo never ran, only its
        // request is recorded, as a crashed instance leaves it.
        CredentialEntry requested = new CredentialEntry(java.util.UUID.randomUUID(), RUN, 1,
                CredentialEvent.REQUESTED, broker.clock.instant(), ALICE, "ops@acme.example", null, "readonly",
                "eph_alice_crashed", "pg-ephemeral/" + ALICE + "/readonly", broker.clock.instant().plusSeconds(3600),
                "ops@acme.example", null);
        broker.ledger.record(requested);

        BrokerException busy = assertThrows(BrokerException.class, () -> broker.escalation.escalate(escalate(RUN)));
        assertTrue(busy.getMessage().contains("still in progress"), busy.getMessage());

        broker.clock.advance(InMemoryBroker.IN_PROGRESS.plusSeconds(1));
        Escalated done = broker.escalation.escalate(escalate(RUN));

        assertEquals(CredentialEvent.FAILED, broker.ledger.history(requested.credentialId()).get(1).event());
        assertEquals(List.of(done.roleName()), broker.roles.names());
    }

    @Test
    void anotherRequesterCannotTakeOverARun() {
        broker.escalation.escalate(escalate(RUN));
        EscalationRequest mallory = new EscalationRequest(RUN, "mallory@acme.example", "ops@acme.example", null,
                "readonly", Duration.ofHours(1));

        assertThrows(RequestRefused.class, () -> broker.escalation.escalate(mallory));
        assertFalse(broker.secrets.names().stream().anyMatch(n -> n.contains("mallory")));
    }

    @Test
    void theSecretIsStoredWhileTheRoleIsBeingCreated() throws Exception {
        Escalated[] done = new Escalated[1];
        Thread escalating = new Thread(() -> done[0] = broker.escalation.escalate(escalate(RUN)), "escalating");
        PortCalls.Pause creating = broker.calls.pauseAt("roles.create", escalating);
        PortCalls.Pause storing = broker.calls.pauseAtAnyThread("secrets.store");
        escalating.start();

        creating.awaitReached();
        // The role's transaction is held open: the secret's write still gets going beside it,
        // instead of waiting its turn (two round trips one after the other).
        storing.awaitReached();
        creating.resume();
        storing.resume();
        escalating.join(10_000);

        assertEquals(List.of(done[0].roleName()), broker.roles.names());
        assertEquals(List.of(CredentialEvent.REQUESTED, CredentialEvent.ISSUED),
                broker.ledger.history(done[0].credentialId()).stream().map(CredentialEntry::event).toList());
    }

    @Test
    void aFailedRoleCreationWaitsForTheSecretsWriteBeforeUndoingIt() throws Exception {
        broker.roles.failNext("roles.create", new BrokerException("permission denied to grant role"));
        PortCalls.Pause storing = broker.calls.pauseAtAnyThread("secrets.store");
        RuntimeException[] failure = new RuntimeException[1];
        Thread escalating = new Thread(() -> {
            try {
                broker.escalation.escalate(escalate(RUN));
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }, "escalating");
        escalating.start();

        storing.awaitReached();
        // The role failed while the secret's write is still under way: withdrawing now would run
        // before the write and leave the password behind once the write lands.
        escalating.join(200);
        assertTrue(escalating.isAlive(), "the escalation ended before its secret's write did");
        storing.resume();
        escalating.join(10_000);

        assertTrue(failure[0] instanceof BrokerException, String.valueOf(failure[0]));
        assertEquals(List.of(), broker.roles.names());
        assertEquals(List.of(), broker.secrets.names());
        assertEquals(List.of(CredentialEvent.REQUESTED, CredentialEvent.FAILED),
                broker.ledger.all().stream().map(CredentialEntry::event).toList());
    }
}
