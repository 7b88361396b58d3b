package io.pgephemeral.broker;

import io.micronaut.core.annotation.Nullable;
import io.pgephemeral.ledger.Ledger;
import io.pgephemeral.ledger.LedgerEntry;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Locale;

/**
 * Ends one credential, for deescalate and the sweep alike: its sessions and role first (so the
 * password is dead before anything else happens), then its secret, then the ledger's record of
 * how it ended. A credential that someone else closed meanwhile is reported, not recorded twice.
 */
@Singleton
public class Revoker {

    private static final Logger LOG = LoggerFactory.getLogger(Revoker.class);

    private final DatabaseRoles roles;
    private final CredentialStore store;
    private final Ledger ledger;
    private final Clock clock;

    public Revoker(DatabaseRoles roles, CredentialStore store, Ledger ledger, Clock clock) {
        this.roles = roles;
        this.store = store;
        this.ledger = ledger;
        this.clock = clock;
    }

    /**
     * @param credential the credential's state row
     * @param event      what to record: revoked, expired, failed or reconciled; a role that could
     *                   only be disabled turns revoked and expired into disabled
     * @param actor      who ended it
     * @param why        the start of the ledger's detail, e.g. "manual end" or "expired"
     */
    public Deescalated.Removed end(LedgerEntry credential, String event, @Nullable String actor, String why) {
        String by = actor == null ? Escalation.BROKER : actor;
        if (LedgerEntry.REQUESTED.equals(credential.event())) {
            return endInProgress(credential, event, by, why);
        }
        RoleRemoval role = roles.remove(credential.roleName());
        SecretRemoval secret = credential.secretId() == null ? SecretRemoval.ABSENT
                : store.remove(credential.secretId(), credential.roleName());
        // A role that could only be disabled still exists: the ledger says so, whatever the reason.
        String recorded = role.outcome() == RoleRemoval.Outcome.DISABLED && !LedgerEntry.FAILED.equals(event)
                ? LedgerEntry.DISABLED : event;
        record(credential, recorded, by, why + ": " + outcome(role, secret));
        return new Deescalated.Removed(credential.credentialId(), credential.roleName(), role.outcome(),
                role.sessionsTerminated(), secret);
    }

    /**
     * The credential's escalation is still running: close it in the ledger first, then remove what
     * exists. The escalation checks the ledger after creating its role and secret, so either it sees
     * the close and removes them itself, or they existed before the removal below.
     */
    private Deescalated.Removed endInProgress(LedgerEntry credential, String event, String by, String why) {
        boolean closedHere = record(credential, event, by, why + ": ended while its escalation was in progress");
        RoleRemoval role = roles.remove(credential.roleName());
        SecretRemoval secret = credential.secretId() == null ? SecretRemoval.ABSENT
                : store.remove(credential.secretId(), credential.roleName());
        LOG.info("credential={} ended in progress ({}): {}", credential.credentialId(),
                closedHere ? "closed here" : "closed concurrently", outcome(role, secret));
        return new Deescalated.Removed(credential.credentialId(), credential.roleName(), role.outcome(),
                role.sessionsTerminated(), secret);
    }

    /** Appends the closing event; false when someone else closed the credential first. */
    private boolean record(LedgerEntry credential, String event, String by, String detail) {
        try {
            ledger.append(credential.next(event, clock.instant(), by, detail));
            LOG.info("{} credential={} run={} role={}: {}", event, credential.credentialId(), credential.runId(),
                    credential.roleName(), detail);
            return true;
        } catch (Ledger.AlreadyClosed e) {
            LOG.info("credential={} was closed concurrently; {}", credential.credentialId(), detail);
            return false;
        }
    }

    private static String outcome(RoleRemoval role, SecretRemoval secret) {
        return "role " + role.outcome().name().toLowerCase(Locale.ROOT)
                + (role.detail() == null ? "" : " (" + role.detail() + ")")
                + ", " + role.sessionsTerminated() + " session(s) terminated, secret "
                + secret.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
