package io.pgephemeral.broker;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The record of every credential, as the use cases need it: append-only, and the arbiter of the
 * races between an escalation and whoever ends its access. Every write is checked, atomically with
 * the write, against what is already recorded:
 *
 * <ul>
 *   <li>a {@link CredentialEvent#REQUESTED requested} or {@link CredentialEvent#ISSUED issued} entry
 *       of a run that has ended ({@link CredentialEvent#endsRun()}) is refused, whoever read the run
 *       first;</li>
 *   <li>a second closing event of one credential is refused ({@link AlreadyClosed});</li>
 *   <li>a second {@code requested} of one run and attempt is refused ({@link AttemptInProgress}).</li>
 * </ul>
 *
 * Writes fail loudly (a {@link BrokerException} that says why in one line): a credential that
 * cannot be recorded must not be issued.
 */
public interface CredentialLedger {

    /**
     * Appends {@code entry}.
     *
     * @throws RunEnded          if it starts or issues a credential of a run that has ended
     * @throws AlreadyClosed     if it closes a credential that is closed already
     * @throws AttemptInProgress if the same attempt of the run was requested already
     */
    void record(CredentialEntry entry);

    /**
     * Appends {@code entry}, the first {@link CredentialEvent#REQUESTED requested} of a run never
     * seen before, as attempt 1; false, and nothing recorded, if the run has any entry at all (the
     * caller then reads the run and decides). A fresh run, the common case, so costs one write and
     * no read.
     */
    boolean recordFirstOfRun(CredentialEntry entry);

    /**
     * Appends {@code entry} unless its credential was closed (by a deescalate or the sweep) or its
     * run ended meanwhile; false, and nothing recorded, if it was.
     */
    boolean recordIfOpen(CredentialEntry entry);

    /**
     * {@link #recordIfOpen} for a group, as one atomic write: the sweep's closing events. One
     * element per entry, false where the credential had been closed already.
     */
    List<Boolean> recordAllIfOpen(List<CredentialEntry> entries);

    /**
     * Records that a run ended before any of its credentials was open; false, and nothing recorded,
     * if one is open by now (an escalation recorded its request meanwhile), for the caller to end
     * that one instead.
     */
    boolean recordRunEnd(CredentialEntry entry);

    /** The state of each credential of a run. */
    List<CredentialEntry> statesOfRun(String runId);

    /** The state of each credential of a requester for a target. */
    List<CredentialEntry> statesOf(String requester, String target);

    /** The state of each credential that ever used this role name (normally one). */
    List<CredentialEntry> statesOfRole(String roleName);

    /**
     * Credentials still open (no closing event, no reconciled note) that were valid at some point
     * after {@code since}, each as its latest event: the sweep's working set.
     */
    List<CredentialEntry> openValidSince(Instant since);

    /** The state of the run's latest attempt, if the run was ever seen. */
    default Optional<CredentialEntry> latestAttemptOfRun(String runId) {
        return statesOfRun(runId).stream().max(java.util.Comparator.comparingInt(CredentialEntry::attempt));
    }

    /** The credential was closed by someone else first (a racing deescalate or sweep). */
    final class AlreadyClosed extends BrokerException {
        public AlreadyClosed(CredentialEntry entry) {
            super("credential " + entry.credentialId() + " was already closed by another deescalation or sweep");
        }
    }

    /** The run was ended (deescalated, expired) before this credential could start. */
    final class RunEnded extends BrokerException {
        public RunEnded(String runId) {
            super("access for run " + runId + " has already ended; not issuing it. Nothing was changed");
        }
    }

    /** Another attempt of the same run is being recorded right now. */
    final class AttemptInProgress extends BrokerException {
        public AttemptInProgress(String runId) {
            super("an escalation of run " + runId + " is already in progress; nothing was changed");
        }
    }
}
