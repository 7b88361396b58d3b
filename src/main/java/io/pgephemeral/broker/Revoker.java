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
        RoleRemoval role = roles.remove(credential.roleName());
        SecretRemoval secret = credential.secretId() == null ? SecretRemoval.ABSENT
                : store.remove(credential.secretId(), credential.roleName());
        String recorded = role.outcome() == RoleRemoval.Outcome.DISABLED
                && (LedgerEntry.REVOKED.equals(event) || LedgerEntry.EXPIRED.equals(event))
                ? LedgerEntry.DISABLED : event;
        String detail = why + ": role " + role.outcome().name().toLowerCase(Locale.ROOT)
                + (role.detail() == null ? "" : " (" + role.detail() + ")")
                + ", " + role.sessionsTerminated() + " session(s) terminated, secret "
                + secret.name().toLowerCase(Locale.ROOT).replace('_', ' ');
        try {
            ledger.append(credential.next(recorded, clock.instant(), actor == null ? Escalation.BROKER : actor, detail));
            LOG.info("{} credential={} run={} role={} sessions_terminated={} secret={}", recorded,
                    credential.credentialId(), credential.runId(), credential.roleName(), role.sessionsTerminated(), secret);
        } catch (Ledger.AlreadyClosed e) {
            LOG.info("credential={} was closed concurrently; role {} {}, secret {}", credential.credentialId(),
                    credential.roleName(), role.outcome(), secret);
        }
        return new Deescalated.Removed(credential.credentialId(), credential.roleName(), role.outcome(),
                role.sessionsTerminated(), secret);
    }
}
