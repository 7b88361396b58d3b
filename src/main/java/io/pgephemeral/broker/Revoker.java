package io.pgephemeral.broker;

import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

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
    private final CredentialLedger ledger;
    private final Clock clock;
    /**
     * Four workers for the sweep's secret deletions: enough to hide the round trips, few enough to
     * stay well inside Secrets Manager's request quotas (DeleteSecret allows 50 per second; the SDK
     * retries a throttled call).
     */
    private final Workers secretRemovals = new Workers("secret-removal", 4);

    public Revoker(DatabaseRoles roles, CredentialStore store, CredentialLedger ledger, Clock clock) {
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
    public Deescalated.Removed end(CredentialEntry credential, CredentialEvent event, @Nullable String actor,
                                   String why) {
        String by = actor == null ? Escalation.BROKER : actor;
        if (credential.event() == CredentialEvent.REQUESTED) {
            return endInProgress(credential, event, by, why);
        }
        RoleRemoval role = roles.remove(credential.roleName());
        SecretRemoval secret = credential.secretId() == null ? SecretRemoval.ABSENT
                : store.remove(credential.secretId(), Escalation.version(credential));
        // A role that could only be disabled still exists: the ledger says so, whatever the reason.
        CredentialEvent recorded = role.outcome() == RoleRemoval.Outcome.DISABLED && event != CredentialEvent.FAILED
                ? CredentialEvent.DISABLED : event;
        record(credential, recorded, by, why + ": " + outcome(role, secret));
        return new Deescalated.Removed(credential.credentialId(), credential.roleName(), role.outcome(),
                role.sessionsTerminated(), secret);
    }

    /** How ending one credential of a group went: what was removed, or why it could not be. */
    public record Ended(CredentialEntry credential, @Nullable Deescalated.Removed removed,
                        @Nullable RuntimeException failure) {
    }

    /**
     * {@link #end} for a group of credentials, as the sweep needs it: their roles go in a few
     * statements ({@link DatabaseRoles#removeAll}), then each secret, then one ledger transaction
     * records all the closes. The order per credential is the same as {@link #end}'s. Whatever the
     * group path leaves out (a credential still being issued, a role that needs individual care)
     * goes through {@link #end} one by one.
     */
    public List<Ended> endAll(List<CredentialEntry> credentials, CredentialEvent event, String actor,
                             Function<CredentialEntry, String> why) {
        return finish(start(credentials, event, actor, why));
    }

    /**
     * A group whose roles are gone and whose secrets are being removed on the workers; {@link
     * #finish} waits for them and records the closes. Between the two the caller may start the next
     * group, so its roles go while these secrets' network calls are in flight.
     */
    public final class Started {
        private final List<Ended> out = new ArrayList<>();
        private final List<CredentialEntry> grouped = new ArrayList<>();
        private final Map<String, RoleRemoval> removed;
        private final Map<CredentialEntry, CompletableFuture<SecretRemoval>> secrets = new java.util.LinkedHashMap<>();
        private final CredentialEvent event;
        private final String actor;
        private final Function<CredentialEntry, String> why;

        private Started(List<CredentialEntry> credentials, CredentialEvent event, String actor,
                        Function<CredentialEntry, String> why) {
            this.event = event;
            this.actor = actor;
            this.why = why;
            for (CredentialEntry credential : credentials) {
                if (credential.event() == CredentialEvent.REQUESTED) {
                    out.add(endOne(credential, event, actor, why));
                } else {
                    grouped.add(credential);
                }
            }
            Map<String, RoleRemoval> gone;
            try {
                gone = roles.removeAll(grouped.stream().map(CredentialEntry::roleName).distinct().toList());
            } catch (RuntimeException e) {
                grouped.forEach(credential -> out.add(new Ended(credential, null, e)));
                grouped.clear();
                gone = Map.of();
            }
            this.removed = gone;
            // Each secret is a network call or two: a few at a time, in the order of the group, each
            // worker under this invocation's deadline.
            Deadline deadline = Deadline.current();
            for (CredentialEntry credential : grouped) {
                if (removed.containsKey(credential.roleName())) {
                    secrets.put(credential, credential.secretId() == null
                            ? CompletableFuture.completedFuture(SecretRemoval.ABSENT)
                            : secretRemovals.supply(deadline, () -> store.remove(credential.secretId(),
                                    Escalation.version(credential))));
                }
            }
        }
    }

    /** Removes the group's roles and sets its secrets' removal going; see {@link Started}. */
    public Started start(List<CredentialEntry> credentials, CredentialEvent event, String actor,
                         Function<CredentialEntry, String> why) {
        return new Started(credentials, event, actor, why);
    }

    /** Waits for the group's secrets, ends what the group path left out one by one, records the closes. */
    public List<Ended> finish(Started group) {
        List<Ended> out = group.out;
        List<CredentialEntry> closes = new ArrayList<>();
        List<Deescalated.Removed> done = new ArrayList<>();
        for (CredentialEntry credential : group.grouped) {
            RoleRemoval role = group.removed.get(credential.roleName());
            if (role == null) {
                out.add(endOne(credential, group.event, group.actor, group.why));
                continue;
            }
            try {
                SecretRemoval secret = Workers.join(group.secrets.get(credential), "a secret's removal",
                        Deadline.current().forCleanup());
                closes.add(credential.next(group.event, clock.instant(), group.actor,
                        group.why.apply(credential) + ": " + outcome(role, secret)));
                done.add(new Deescalated.Removed(credential.credentialId(), credential.roleName(), role.outcome(),
                        role.sessionsTerminated(), secret));
            } catch (RuntimeException e) {
                out.add(new Ended(credential, null, e));
            }
        }
        if (closes.isEmpty()) {
            return out;
        }
        try {
            List<Boolean> recorded = ledger.recordAllIfOpen(closes);
            for (int i = 0; i < closes.size(); i++) {
                CredentialEntry close = closes.get(i);
                logClose(close, recorded.get(i));
                out.add(new Ended(closes.get(i), done.get(i), null));
            }
        } catch (RuntimeException e) {
            // Roles and secrets are gone; the next sweep finds the credentials open with no role
            // and records them then.
            closes.forEach(close -> out.add(new Ended(close, null, e)));
        }
        return out;
    }

    @jakarta.annotation.PreDestroy
    void close() {
        secretRemovals.close();
    }

    private Ended endOne(CredentialEntry credential, CredentialEvent event, String actor,
                         Function<CredentialEntry, String> why) {
        try {
            return new Ended(credential, end(credential, event, actor, why.apply(credential)), null);
        } catch (RuntimeException e) {
            return new Ended(credential, null, e);
        }
    }

    /**
     * The credential's escalation is still running: close it in the ledger first, then remove what
     * exists. The escalation checks the ledger after creating its role and secret, so either it sees
     * the close and removes them itself, or they existed before the removal below.
     */
    private Deescalated.Removed endInProgress(CredentialEntry credential, CredentialEvent event, String by, String why) {
        boolean closedHere = record(credential, event, by, why + ": ended while its escalation was in progress");
        RoleRemoval role = roles.remove(credential.roleName());
        // Its write may have replaced the requester's standing credential: put that one back.
        SecretRemoval secret = credential.secretId() == null ? SecretRemoval.ABSENT
                : store.withdraw(credential.secretId(), Escalation.version(credential));
        LOG.info("credential={} ended in progress ({}): {}", credential.credentialId(),
                closedHere ? "closed here" : "closed concurrently", outcome(role, secret));
        return new Deescalated.Removed(credential.credentialId(), credential.roleName(), role.outcome(),
                role.sessionsTerminated(), secret);
    }

    /** Appends the closing event; false when someone else closed the credential first. */
    private boolean record(CredentialEntry credential, CredentialEvent event, String by, String detail) {
        CredentialEntry close = credential.next(event, clock.instant(), by, detail);
        try {
            ledger.record(close);
            logClose(close, true);
            return true;
        } catch (CredentialLedger.AlreadyClosed e) {
            logClose(close, false);
            return false;
        }
    }

    private static void logClose(CredentialEntry close, boolean recorded) {
        if (recorded) {
            LOG.info("{} credential={} run={} role={}: {}", close.event(), close.credentialId(), close.runId(),
                    close.roleName(), close.detail());
        } else {
            LOG.info("credential={} was closed concurrently; {}", close.credentialId(), close.detail());
        }
    }

    private static String outcome(RoleRemoval role, SecretRemoval secret) {
        return "role " + role.outcome().name().toLowerCase(Locale.ROOT)
                + (role.detail() == null ? "" : " (" + role.detail() + ")")
                + ", " + role.sessionsTerminated() + " session(s) terminated, secret "
                + secret.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
