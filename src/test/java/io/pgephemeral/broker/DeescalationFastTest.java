package io.pgephemeral.broker;

import io.pgephemeral.testing.memory.InMemoryBroker;
import io.pgephemeral.testing.memory.PortCalls;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.pgephemeral.broker.EscalationFastTest.ALICE;
import static io.pgephemeral.broker.EscalationFastTest.escalate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deescalation against the in-memory ports, alone and racing an escalation of the same run: the
 * escalation is held before each of its port calls in turn while a deescalate runs to the end, and
 * the other way round. Whatever the interleaving, access that was ended stays ended: no role, no
 * secret holding the credential, and the run's credentials all closed.
 */
@Tag("fast")
class DeescalationFastTest {

    static final String RUN = "srn:sym:run:fast-2";

    static DeescalationRequest deescalate(String run) {
        return new DeescalationRequest(run, ALICE, "readonly", "ops@acme.example", "manual");
    }

    private final InMemoryBroker broker = new InMemoryBroker();

    @Test
    void endsTheRunsCredentialAndRecordsRevoked() {
        Escalated issued = broker.escalation.escalate(escalate(RUN));

        Deescalated done = broker.deescalation.deescalate(deescalate(RUN));

        assertEquals(1, done.removed().size());
        assertEquals(RoleRemoval.Outcome.DROPPED, done.removed().get(0).role());
        assertEquals(SecretRemoval.DELETED, done.removed().get(0).secret());
        assertEquals(List.of(), broker.roles.names());
        assertEquals(List.of(), broker.secrets.names());
        assertEquals(CredentialEvent.REVOKED, last(issued).event());
    }

    @Test
    void aDeescalateBeforeAnyEscalateRefusesTheLateEscalate() {
        Deescalated nothing = broker.deescalation.deescalate(deescalate(RUN));
        assertTrue(nothing.message().contains("nothing to remove"), nothing.message());

        assertThrows(RequestRefused.class, () -> broker.escalation.escalate(escalate(RUN)));
        assertEquals(List.of(), broker.roles.names());
    }

    @Test
    void aRoleThatOwnsObjectsIsDisabledAndSaysSo() {
        Escalated issued = broker.escalation.escalate(escalate(RUN));
        var role = broker.roles.role(issued.roleName()).orElseThrow();
        broker.roles.put(new io.pgephemeral.testing.memory.InMemoryRoles.Role(role.name(), role.validUntil(), true,
                2, true));

        Deescalated done = broker.deescalation.deescalate(deescalate(RUN));

        assertEquals(RoleRemoval.Outcome.DISABLED, done.removed().get(0).role());
        assertEquals(CredentialEvent.DISABLED, last(issued).event());
        assertTrue(!broker.roles.role(issued.roleName()).orElseThrow().canLogin());
    }

    /** Deescalate runs to the end while the escalation waits before one of its port calls. */
    @ParameterizedTest
    @ValueSource(strings = {"ledger.recordFirstOfRun", "roles.create", "secrets.store", "ledger.recordIfOpen"})
    void aDeescalateOvertakingTheEscalationEndsAccessForGood(String call) throws Exception {
        overtakeTheEscalationAt(call);
    }

    /**
     * The same race on a run seen before (its first attempt failed), where the escalation reads the
     * run and records its second attempt: held before either, it is still ended for good.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ledger.statesOfRun", "ledger.record"})
    void aDeescalateOvertakingARetriedEscalationEndsAccessForGood(String call) throws Exception {
        broker.roles.failNext("roles.create", new BrokerException("could not create the login"));
        assertThrows(BrokerException.class, () -> broker.escalation.escalate(escalate(RUN)));
        assertEquals(CredentialEvent.FAILED, broker.ledger.latestAttemptOfRun(RUN).orElseThrow().event());

        overtakeTheEscalationAt(call);
    }

    /**
     * Holds an escalation of the run before {@code call}, runs a deescalate to the end, lets the
     * escalation go on: it must be refused, and access must be over.
     */
    private void overtakeTheEscalationAt(String call) throws Exception {
        AtomicReference<PortCalls.Pause> pause = new AtomicReference<>();
        java.util.concurrent.CountDownLatch armed = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Escalated> escalating = CompletableFuture.supplyAsync(() -> {
            // The secret's write runs on a worker of the escalation's, beside the role's creation.
            pause.set(call.equals("secrets.store") ? broker.calls.pauseAtAnyThread(call)
                    : broker.calls.pauseAt(call, Thread.currentThread()));
            armed.countDown();
            return broker.escalation.escalate(escalate(RUN));
        });
        assertTrue(armed.await(5, TimeUnit.SECONDS));
        pause.get().awaitReached();

        Deescalated ended = broker.deescalation.deescalate(deescalate(RUN));
        pause.get().resume();

        ExecutionException refused = assertThrows(ExecutionException.class, () -> escalating.get(5, TimeUnit.SECONDS));
        assertInstanceOf(BrokerException.class, refused.getCause());
        assertNotNull(ended.message());
        assertAccessEnded();
    }

    /** The escalation runs to the end while the deescalate waits before recording the run's end. */
    @Test
    void anEscalationSlippingInBeforeTheRunEndIsEndedByTheSameDeescalate() throws Exception {
        AtomicReference<PortCalls.Pause> pause = new AtomicReference<>();
        java.util.concurrent.CountDownLatch armed = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Deescalated> ending = CompletableFuture.supplyAsync(() -> {
            pause.set(broker.calls.pauseAt("ledger.recordRunEnd", Thread.currentThread()));
            armed.countDown();
            return broker.deescalation.deescalate(deescalate(RUN));
        });
        assertTrue(armed.await(5, TimeUnit.SECONDS));
        pause.get().awaitReached();

        Escalated issued = broker.escalation.escalate(escalate(RUN));
        pause.get().resume();
        Deescalated ended = ending.get(5, TimeUnit.SECONDS);

        assertEquals(List.of(issued.credentialId()),
                ended.removed().stream().map(Deescalated.Removed::credentialId).toList());
        assertEquals(CredentialEvent.REVOKED, last(issued).event());
        assertAccessEnded();
    }

    /** Deescalate held before each of its own calls on an issued credential while another one runs through. */
    @ParameterizedTest
    @ValueSource(strings = {"roles.remove", "secrets.remove", "ledger.record"})
    void twoDeescalatesCloseTheCredentialOnce(String call) throws Exception {
        Escalated issued = broker.escalation.escalate(escalate(RUN));
        AtomicReference<PortCalls.Pause> pause = new AtomicReference<>();
        java.util.concurrent.CountDownLatch armed = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Deescalated> first = CompletableFuture.supplyAsync(() -> {
            pause.set(broker.calls.pauseAt(call, Thread.currentThread()));
            armed.countDown();
            return broker.deescalation.deescalate(deescalate(RUN));
        });
        assertTrue(armed.await(5, TimeUnit.SECONDS));
        pause.get().awaitReached();

        broker.deescalation.deescalate(deescalate(RUN));
        pause.get().resume();
        first.get(5, TimeUnit.SECONDS);

        assertEquals(1, broker.ledger.history(issued.credentialId()).stream()
                .filter(e -> e.event().closes()).count());
        assertAccessEnded();
    }

    private CredentialEntry last(Escalated issued) {
        List<CredentialEntry> history = broker.ledger.history(issued.credentialId());
        return history.get(history.size() - 1);
    }

    private void assertAccessEnded() {
        assertEquals(List.of(), broker.roles.names(), "no role may outlive the deescalate");
        assertEquals(List.of(), broker.secrets.names(), "no secret may hold the ended credential");
        assertTrue(broker.ledger.statesOfRun(RUN).stream().noneMatch(CredentialEntry::open),
                "every credential of the run is closed: " + broker.ledger.statesOfRun(RUN));
        assertThrows(RequestRefused.class, () -> broker.escalation.escalate(escalate(RUN)),
                "a late retry of the escalate is refused");
    }
}
