package io.pgephemeral.ledger;

import io.pgephemeral.broker.CredentialEntry;
import io.pgephemeral.broker.CredentialEvent;
import io.pgephemeral.broker.CredentialLedger;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.memory.InMemoryLedger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules of the {@link CredentialLedger} port, run against the real ledger (PostgreSQL, the
 * hash chain, the schema's indexes) and against the in-memory one the fast use-case tests use, so
 * that the fast tests cannot pass on a ledger more lenient than the real one.
 */
class LedgerContractTest {

    abstract static class Contract {

        abstract CredentialLedger ledger();

        private String run;
        private Instant now;

        /** A run of its own for every case: the real ledger is shared by the whole suite. */
        @BeforeEach
        void newRun() {
            run = "srn:sym:run:contract-" + UUID.randomUUID();
            now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        }

        private CredentialEntry requested(int attempt) {
            return new CredentialEntry(UUID.randomUUID(), run, attempt, CredentialEvent.REQUESTED, now,
                    "contract@acme.example", "ops@acme.example", null, "readonly",
                    "eph_contract_" + UUID.randomUUID().toString().substring(0, 8), "pg-ephemeral/contract", now.plusSeconds(3600),
                    "ops@acme.example", null);
        }

        @Test
        void aSecondRequestOfTheSameAttemptIsRefused() {
            ledger().record(requested(1));
            assertThrows(CredentialLedger.AttemptInProgress.class, () -> ledger().record(requested(1)));
        }

        /**
         * The first request of a run goes in as one write, and only for a run never seen: any
         * entry of the run, a failed attempt or a run end included, leaves the write undone for
         * the caller to read the run and decide.
         */
        @Test
        void onlyARunNeverSeenTakesItsFirstRequestUnread() {
            CredentialEntry first = requested(1);
            assertTrue(ledger().recordFirstOfRun(first));
            assertEquals(List.of(first.credentialId()),
                    ledger().statesOfRun(run).stream().map(CredentialEntry::credentialId).toList());

            assertFalse(ledger().recordFirstOfRun(requested(1)), "a run with a request in progress");
            ledger().record(first.next(CredentialEvent.FAILED, now, "broker", "x"));
            assertFalse(ledger().recordFirstOfRun(requested(1)), "a run with a failed attempt");
            assertEquals(List.of(CredentialEvent.FAILED), events(ledger().statesOfRun(run)), "nothing more was recorded");

            newRun();
            CredentialEntry end = requested(1).next(CredentialEvent.REVOKED, now, "a", "ended before it began");
            assertTrue(ledger().recordRunEnd(end));
            assertFalse(ledger().recordFirstOfRun(requested(1)), "a run that ended before any request");
            assertEquals(List.of(CredentialEvent.REVOKED), events(ledger().statesOfRun(run)));
        }

        @Test
        void aCredentialIsClosedOnce() {
            CredentialEntry r = requested(1);
            ledger().record(r);
            ledger().record(r.next(CredentialEvent.REVOKED, now, "a", null));
            assertThrows(CredentialLedger.AlreadyClosed.class,
                    () -> ledger().record(r.next(CredentialEvent.EXPIRED, now, "b", null)));
            assertFalse(ledger().recordIfOpen(r.next(CredentialEvent.ISSUED, now, "c", null)));
            assertEquals(List.of(CredentialEvent.REVOKED), events(ledger().statesOfRun(run)));
        }

        @Test
        void issuedIsRecordedOnlyWhileOpen() {
            CredentialEntry r = requested(1);
            ledger().record(r);
            assertTrue(ledger().recordIfOpen(r.next(CredentialEvent.ISSUED, now, "a", null)));
            assertEquals(List.of(CredentialEvent.ISSUED), events(ledger().statesOfRun(run)));
        }

        @Test
        void aFailedAttemptLeavesTheRunOpenForARetry() {
            CredentialEntry r = requested(1);
            ledger().record(r);
            ledger().record(r.next(CredentialEvent.FAILED, now, "broker", "x"));
            ledger().record(requested(2));
            assertEquals(2, ledger().latestAttemptOfRun(run).orElseThrow().attempt());
        }

        @Test
        void anEndedRunStartsAndIssuesNothing() {
            CredentialEntry first = requested(1);
            ledger().record(first);
            CredentialEntry second = requested(2);
            ledger().record(second);
            ledger().record(first.next(CredentialEvent.REVOKED, now, "a", null));

            assertThrows(CredentialLedger.RunEnded.class, () -> ledger().record(requested(3)));
            assertFalse(ledger().recordIfOpen(second.next(CredentialEvent.ISSUED, now, "a", null)),
                    "an open credential of an ended run is not issued");
        }

        @Test
        void aRunEndIsRecordedOnlyWhileNoCredentialOfTheRunIsOpen() {
            CredentialEntry r = requested(1);
            ledger().record(r);
            CredentialEntry end = requested(2).next(CredentialEvent.REVOKED, now, "a", "ended");
            assertFalse(ledger().recordRunEnd(end));

            ledger().record(r.next(CredentialEvent.FAILED, now, "broker", "x"));
            assertTrue(ledger().recordRunEnd(end));
            assertThrows(CredentialLedger.RunEnded.class, () -> ledger().record(requested(3)));
        }

        @Test
        void aStateIsTheCloseThenTheReconciledNoteThenTheLatest() {
            CredentialEntry r = requested(1);
            ledger().record(r);
            ledger().record(r.next(CredentialEvent.ISSUED, now, "a", null));
            assertEquals(List.of(CredentialEvent.ISSUED), events(ledger().statesOfRole(r.roleName())));
            ledger().record(r.next(CredentialEvent.RECONCILED, now, "broker", "its role no longer existed"));
            ledger().record(r.next(CredentialEvent.ISSUED, now, "a", null));
            assertEquals(List.of(CredentialEvent.RECONCILED), events(ledger().statesOfRole(r.roleName())));
            ledger().record(r.next(CredentialEvent.EXPIRED, now, "broker", null));
            ledger().record(r.next(CredentialEvent.RECONCILED, now, "broker", "deleted its secret"));
            assertEquals(List.of(CredentialEvent.EXPIRED), events(ledger().statesOf(r.requester(), "readonly")
                    .stream().filter(e -> e.credentialId().equals(r.credentialId())).toList()));
        }

        @Test
        void theSweepsWorkingSetIsTheOpenCredentialsValidSince() {
            CredentialEntry open = requested(1);
            ledger().record(open);
            ledger().record(open.next(CredentialEvent.ISSUED, now, "a", null));
            CredentialEntry reconciled = requested(2);
            ledger().record(reconciled);
            ledger().record(reconciled.next(CredentialEvent.RECONCILED, now, "broker", null));

            List<CredentialEntry> set = ledger().openValidSince(now).stream().filter(e -> e.runId().equals(run)).toList();
            assertEquals(List.of(open.credentialId()), set.stream().map(CredentialEntry::credentialId).toList());
            assertEquals(CredentialEvent.ISSUED, set.get(0).event());
            assertTrue(ledger().openValidSince(now.plusSeconds(3601)).stream().noneMatch(e -> e.runId().equals(run)));
        }

        @Test
        void aGroupCloseRecordsWhatIsStillOpen() {
            CredentialEntry a = requested(1);
            ledger().record(a);
            ledger().record(a.next(CredentialEvent.ISSUED, now, "x", null));
            ledger().record(a.next(CredentialEvent.FAILED, now, "x", null));
            CredentialEntry b = requested(2);
            ledger().record(b);
            ledger().record(b.next(CredentialEvent.ISSUED, now, "x", null));

            assertEquals(List.of(false, true), ledger().recordAllIfOpen(List.of(
                    a.next(CredentialEvent.EXPIRED, now, "broker", null), b.next(CredentialEvent.EXPIRED, now, "broker", null))));
            assertEquals(List.of(CredentialEvent.FAILED, CredentialEvent.EXPIRED),
                    events(ledger().statesOfRun(run).stream()
                            .sorted(java.util.Comparator.comparingInt(CredentialEntry::attempt)).toList()));
        }

        private static List<CredentialEvent> events(List<CredentialEntry> states) {
            return states.stream().map(CredentialEntry::event).toList();
        }
    }

    @Nested
    @Tag("fast")
    class InMemory extends Contract {
        private final InMemoryLedger ledger = new InMemoryLedger();

        @Override
        CredentialLedger ledger() {
            return ledger;
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class OnPostgres extends Contract {
        private final Broker broker = new Broker();

        @Override
        CredentialLedger ledger() {
            return broker.context().getBean(CredentialLedger.class);
        }

        @AfterAll
        void close() {
            broker.close();
        }
    }
}
