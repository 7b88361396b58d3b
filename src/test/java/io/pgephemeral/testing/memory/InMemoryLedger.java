package io.pgephemeral.testing.memory;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.CredentialEntry;
import io.pgephemeral.broker.CredentialEvent;
import io.pgephemeral.broker.CredentialLedger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The ledger in memory, with the rules of the real one ({@code ledger.Ledger} over {@code
 * LedgerChain} and the schema's unique indexes), each checked and written under one lock as the
 * real one does under its advisory lock: a run that has ended starts and issues nothing; a
 * credential is closed at most once; {@code recordIfOpen} writes only while the credential has no
 * closing event; one {@code requested} per run and attempt; a credential's state is its closing
 * event, else its reconciled note, else its latest event. {@code LedgerContractTest} runs the same
 * cases against this and the real ledger.
 */
public final class InMemoryLedger implements CredentialLedger {

    private final List<CredentialEntry> entries = new ArrayList<>();
    private final PortCalls calls;

    public InMemoryLedger(PortCalls calls) {
        this.calls = calls;
    }

    public InMemoryLedger() {
        this(new PortCalls());
    }

    @Override
    public void record(CredentialEntry entry) {
        calls.enter("ledger.record");
        synchronized (this) {
            if (entry.event().startsOrIssues() && runEnded(entry.runId())) {
                throw new RunEnded(entry.runId());
            }
            requireUnique(entry, List.of());
            entries.add(entry);
        }
    }

    @Override
    public boolean recordFirstOfRun(CredentialEntry entry) {
        calls.enter("ledger.recordFirstOfRun");
        synchronized (this) {
            if (entries.stream().anyMatch(e -> e.runId().equals(entry.runId()))) {
                return false;
            }
            entries.add(entry);
            return true;
        }
    }

    @Override
    public boolean recordIfOpen(CredentialEntry entry) {
        calls.enter("ledger.recordIfOpen");
        synchronized (this) {
            if (!writableIfOpen(entry)) {
                return false;
            }
            requireUnique(entry, List.of());
            entries.add(entry);
            return true;
        }
    }

    @Override
    public List<Boolean> recordAllIfOpen(List<CredentialEntry> group) {
        calls.enter("ledger.recordAllIfOpen");
        synchronized (this) {
            List<Boolean> out = new ArrayList<>();
            List<CredentialEntry> written = new ArrayList<>();
            for (CredentialEntry entry : group) {
                boolean write = writableIfOpen(entry);
                if (write) {
                    try {
                        requireUnique(entry, written);
                    } catch (BrokerException e) {
                        // One transaction: a refused row writes none of the group.
                        throw new BrokerException("the ledger is unavailable: " + e.getMessage(), e);
                    }
                    written.add(entry);
                }
                out.add(write);
            }
            entries.addAll(written);
            return out;
        }
    }

    @Override
    public boolean recordRunEnd(CredentialEntry entry) {
        calls.enter("ledger.recordRunEnd");
        synchronized (this) {
            boolean busy = entries.stream().anyMatch(e -> e.runId().equals(entry.runId())
                    && e.event() == CredentialEvent.REQUESTED && closeOf(e.credentialId()).isEmpty());
            if (busy || (entry.event().startsOrIssues() && runEnded(entry.runId()))) {
                return false;
            }
            requireUnique(entry, List.of());
            entries.add(entry);
            return true;
        }
    }

    @Override
    public List<CredentialEntry> statesOfRun(String runId) {
        calls.enter("ledger.statesOfRun");
        return states(e -> e.runId().equals(runId));
    }

    @Override
    public List<CredentialEntry> statesOf(String requester, String target) {
        calls.enter("ledger.statesOf");
        return states(e -> e.requester().equals(requester) && e.target().equals(target));
    }

    @Override
    public List<CredentialEntry> statesOfRole(String roleName) {
        calls.enter("ledger.statesOfRole");
        return states(e -> e.roleName().equals(roleName));
    }

    @Override
    public List<CredentialEntry> openValidSince(Instant since) {
        calls.enter("ledger.openValidSince");
        synchronized (this) {
            Map<UUID, CredentialEntry> latestOpen = new LinkedHashMap<>();
            for (CredentialEntry e : entries) {
                if (e.event().open() && !e.validUntil().isBefore(since)) {
                    latestOpen.put(e.credentialId(), e);
                }
            }
            latestOpen.keySet().removeIf(id -> entries.stream()
                    .anyMatch(e -> e.credentialId().equals(id) && e.event().ends()));
            return List.copyOf(latestOpen.values());
        }
    }

    /** Every entry, in the order recorded. */
    public synchronized List<CredentialEntry> all() {
        return List.copyOf(entries);
    }

    /** Every entry of one credential, in the order recorded. */
    public synchronized List<CredentialEntry> history(UUID credentialId) {
        return entries.stream().filter(e -> e.credentialId().equals(credentialId)).toList();
    }

    /** LedgerChain's guard for {@code appendIfOpen}: no close of the credential, and the run check. */
    private boolean writableIfOpen(CredentialEntry entry) {
        return closeOf(entry.credentialId()).isEmpty()
                && !(entry.event().startsOrIssues() && runEnded(entry.runId()));
    }

    /** The schema's unique indexes: one request per run and attempt, one close per credential. */
    private void requireUnique(CredentialEntry entry, List<CredentialEntry> pending) {
        List<CredentialEntry> all = new ArrayList<>(entries);
        all.addAll(pending);
        if (entry.event() == CredentialEvent.REQUESTED && all.stream().anyMatch(e -> e.event() == CredentialEvent.REQUESTED
                && e.runId().equals(entry.runId()) && e.attempt() == entry.attempt())) {
            throw new AttemptInProgress(entry.runId());
        }
        if (entry.event().closes() && all.stream().anyMatch(e -> e.credentialId().equals(entry.credentialId())
                && e.event().closes())) {
            throw new AlreadyClosed(entry);
        }
    }

    private boolean runEnded(String runId) {
        return entries.stream().anyMatch(e -> e.runId().equals(runId) && e.event().endsRun());
    }

    private Optional<CredentialEntry> closeOf(UUID credentialId) {
        return entries.stream().filter(e -> e.credentialId().equals(credentialId) && e.event().closes()).findFirst();
    }

    /** Per credential (in order of first appearance): its close, else its reconciled note, else its latest. */
    private synchronized List<CredentialEntry> states(java.util.function.Predicate<CredentialEntry> which) {
        Map<UUID, CredentialEntry> state = new LinkedHashMap<>();
        for (CredentialEntry e : entries) {
            if (!which.test(e)) {
                continue;
            }
            CredentialEntry current = state.get(e.credentialId());
            if (current == null || rank(e) >= rank(current)) {
                state.put(e.credentialId(), e);
            }
        }
        return List.copyOf(state.values());
    }

    /** The state order of LedgerReads: closing first, then reconciled, then newest. */
    private static int rank(CredentialEntry e) {
        return e.event().closes() ? 2 : e.event() == CredentialEvent.RECONCILED ? 1 : 0;
    }
}
