package io.pgephemeral.broker;

import io.pgephemeral.ledger.Ledger;
import io.pgephemeral.ledger.LedgerEntry;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Ends access: every open credential of the run (or, without a run, of the requester for the
 * target) loses its sessions, its role and its secret, and the ledger records how. Ending access
 * that is already gone succeeds and says so. The allow-list is not consulted: a target removed
 * from it since must still be revocable.
 */
@Singleton
public class Deescalation {

    private static final Logger LOG = LoggerFactory.getLogger(Deescalation.class);

    private final Revoker revoker;
    private final Ledger ledger;

    public Deescalation(Revoker revoker, Ledger ledger) {
        this.revoker = revoker;
        this.ledger = ledger;
    }

    public Deescalated deescalate(DeescalationRequest request) {
        List<LedgerEntry> credentials = request.runId() != null
                ? ledger.statesOfRun(request.runId())
                : ledger.statesOf(request.requester(), request.target());
        for (LedgerEntry c : credentials) {
            if (!c.requester().equals(request.requester()) || !c.target().equals(request.target())) {
                throw new RequestRefused("run " + request.runId() + " belongs to another requester or target;"
                        + " nothing was changed");
            }
        }
        List<LedgerEntry> open = credentials.stream().filter(LedgerEntry::open).toList();
        if (open.isEmpty()) {
            return new Deescalated(List.of(), nothingToEnd(credentials), List.of());
        }

        List<Deescalated.Removed> removed = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (LedgerEntry credential : open) {
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

    private Deescalated.Removed end(LedgerEntry credential, DeescalationRequest request) {
        return revoker.end(credential, LedgerEntry.REVOKED, request.endedBy(),
                request.trigger() == null ? "ended" : request.trigger() + " end");
    }

    private static String nothingToEnd(List<LedgerEntry> credentials) {
        if (credentials.isEmpty()) {
            return "no credential was issued for this request; nothing to remove";
        }
        LedgerEntry last = credentials.stream().max(Comparator.comparing(LedgerEntry::recordedAt)).orElseThrow();
        return "already ended: " + last.roleName() + " was " + last.event() + " at " + last.recordedAt();
    }
}
