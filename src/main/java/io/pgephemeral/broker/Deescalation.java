package io.pgephemeral.broker;

import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Ends access: every open credential of the run (or, without a run, of the requester for the
 * target) loses its sessions, its role and its secret, and the ledger records how. Ending access
 * that is already gone succeeds and says so. The allow-list is not consulted: a target removed
 * from it since must still be revocable.
 */
@Singleton
public class Deescalation {

    private static final Logger LOG = LoggerFactory.getLogger(Deescalation.class);

    /** The role name recorded when access ended before any role was created. */
    static final String NO_ROLE = "(none)";

    /** How often a deescalate reads the run again when escalations keep starting under it. */
    private static final int RUN_END_PASSES = 3;

    private final Revoker revoker;
    private final CredentialLedger ledger;
    private final Clock clock;

    public Deescalation(Revoker revoker, CredentialLedger ledger, Clock clock) {
        this.revoker = revoker;
        this.ledger = ledger;
        this.clock = clock;
    }

    public Deescalated deescalate(DeescalationRequest request) {
        for (int pass = 1; ; pass++) {
            List<CredentialEntry> credentials = request.runId() != null
                    ? ledger.statesOfRun(request.runId())
                    : ledger.statesOf(request.requester(), request.target());
            for (CredentialEntry c : credentials) {
                if (!c.requester().equals(request.requester()) || !c.target().equals(request.target())) {
                    throw new RequestRefused("run " + request.runId() + " belongs to another requester or target;"
                            + " nothing was changed");
                }
            }
            List<CredentialEntry> open = credentials.stream().filter(CredentialEntry::open).toList();
            if (!open.isEmpty()) {
                return end(open, request);
            }
            if (request.runId() == null || endedBefore(credentials) || closeRun(request, credentials)) {
                return new Deescalated(List.of(), nothingToEnd(credentials), List.of());
            }
            // An escalation of the run recorded its request after our read: read again and end it.
            if (pass >= RUN_END_PASSES) {
                throw new BrokerException("run " + request.runId() + " kept starting new credentials while it was"
                        + " being ended; retry the deescalation");
            }
        }
    }

    private Deescalated end(List<CredentialEntry> open, DeescalationRequest request) {
        List<Deescalated.Removed> removed = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (CredentialEntry credential : open) {
            try {
                removed.add(end(credential, request));
            } catch (RuntimeException e) {
                String reason = Escalation.message(e);
                failures.add("credential " + credential.roleName() + " could not be fully removed: " + reason);
                LOG.warn("deescalation of credential={} role={} failed: {}", credential.credentialId(),
                        credential.roleName(), reason);
            }
        }
        String message = removed.isEmpty() ? "no credential could be removed"
                : "removed " + removed.size() + " credential" + (removed.size() == 1 ? "" : "s");
        return new Deescalated(removed, message, failures);
    }

    private Deescalated.Removed end(CredentialEntry credential, DeescalationRequest request) {
        return revoker.end(credential, CredentialEvent.REVOKED, request.endedBy(),
                request.trigger() == null ? "ended" : request.trigger() + " end");
    }

    /** Whether one of the run's credentials was already ended (not merely failed). */
    private static boolean endedBefore(List<CredentialEntry> credentials) {
        return credentials.stream().anyMatch(c -> c.event() != CredentialEvent.FAILED);
    }

    /**
     * Access ended before any credential was issued (Sym sends deescalate for a run whose escalate
     * failed, or overtook it): record that, so that a late escalate of this run is refused instead
     * of granting access after it ended. False, and nothing recorded, when an escalation of the run
     * recorded its request since the run was read: that credential must be ended instead.
     */
    private boolean closeRun(DeescalationRequest request, List<CredentialEntry> credentials) {
        int attempt = credentials.stream().mapToInt(CredentialEntry::attempt).max().orElse(0) + 1;
        Instant now = clock.instant();
        return ledger.recordRunEnd(new CredentialEntry(UUID.randomUUID(), request.runId(), attempt,
                CredentialEvent.REVOKED, now,
                request.requester(), null, null, request.target(), NO_ROLE, null, now,
                request.endedBy() != null ? request.endedBy() : Escalation.BROKER,
                "access ended before any credential was issued; a later escalate of this run is refused"));
    }

    private static String nothingToEnd(List<CredentialEntry> credentials) {
        if (credentials.isEmpty()) {
            return "no credential was issued for this request; nothing to remove";
        }
        CredentialEntry last = credentials.stream().max(Comparator.comparing(CredentialEntry::recordedAt)).orElseThrow();
        if (NO_ROLE.equals(last.roleName())) {
            return "already ended at " + last.recordedAt() + ", before any credential was issued";
        }
        return "already ended: " + last.roleName() + " was " + last.event() + " at " + last.recordedAt();
    }
}
