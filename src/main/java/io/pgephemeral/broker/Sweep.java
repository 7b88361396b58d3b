package io.pgephemeral.broker;

import io.pgephemeral.config.Durations;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Enforces expiry without waiting for Sym, and repairs what crashes left behind. Run on a schedule
 * (every minute by default), it ends every credential past its expiry, cleans up escalations that
 * never finished, closes credentials whose role vanished, removes temporary logins that have no
 * open credential, and deletes secrets that failed escalations could not.
 *
 * <p>Only one sweep works at a time (a session advisory lock); a second one returns at once. Each
 * sweep is bounded by a batch size and a time budget and leaves the rest to the next.
 *
 * <p>The live roles are listed before the ledger is read: an escalation records its request before
 * it creates its role, so any role the sweep sees already has its ledger row, and an escalation in
 * progress is never mistaken for an orphan. They are listed once more after the ledger is read, to
 * tell a vanished role from one created in between.
 */
@Singleton
public class Sweep {

    private static final Logger LOG = LoggerFactory.getLogger(Sweep.class);
    static final String UNKNOWN = "unknown";
    /** Expired credentials ended together: one role statement, one ledger transaction per group. */
    private static final int GROUP = 100;

    private final DatabaseRoles roles;
    private final CredentialStore store;
    private final CredentialLedger ledger;
    private final Revoker revoker;
    private final SweepSettings settings;
    private final Clock clock;

    public Sweep(DatabaseRoles roles, CredentialStore store, CredentialLedger ledger, Revoker revoker,
                 SweepSettings settings, Clock clock) {
        this.roles = roles;
        this.store = store;
        this.ledger = ledger;
        this.revoker = revoker;
        this.settings = settings;
        this.clock = clock;
    }

    public Swept sweep() {
        Optional<AutoCloseable> claim = roles.claimSweep();
        if (claim.isEmpty()) {
            LOG.info("another sweep is running; this one does nothing");
            return new Swept(0, 0, 0, 0, 0, false, true, List.of());
        }
        try (AutoCloseable held = claim.get()) {
            return new Run(clock.instant()).go();
        } catch (BrokerException e) {
            throw e;
        } catch (Exception e) {
            LOG.error("the sweep failed", e);
            throw new BrokerException("the sweep failed: unexpected " + e.getClass().getSimpleName(), e);
        }
    }

    /** One sweep's state: what it found, what it did, how much budget is left. */
    private final class Run {
        private final Instant now;
        private final Instant deadline;
        private int budget = settings.batchSize();
        private boolean more;
        private final List<String> failures = new ArrayList<>();
        private final Set<UUID> handled = new HashSet<>();
        private int expired;
        private int abandoned;
        private int vanished;
        private int orphans;
        private int leftovers;

        Run(Instant now) {
            this.now = now;
            // Its own budget, or less when the invocation has less: it stops before Lambda stops it.
            Duration left = Deadline.current().remaining();
            this.deadline = now.plus(left.compareTo(settings.timeBudget()) < 0 ? left : settings.timeBudget());
        }

        Swept go() {
            List<ManagedRole> live = roles.managedRoles();
            // Listed before the ledger is read, like the roles: an escalation records its request
            // before it writes its secret, so every secret listed here belongs to a credential the
            // ledger read below already knows.
            List<ListedSecret> secrets = listSecrets();
            List<CredentialEntry> open = new ArrayList<>(ledger.openValidSince(now.minus(settings.lookback())));
            open.sort(Comparator.comparing(CredentialEntry::validUntil));
            Map<String, CredentialEntry> openByRole = new HashMap<>();
            open.forEach(e -> openByRole.put(e.roleName(), e));

            Map<String, String> batchOf = new HashMap<>();
            live.forEach(r -> {
                if (r.removalBatch() != null) {
                    batchOf.put(r.name(), r.removalBatch());
                }
            });
            endExpired(open.stream().filter(e -> !e.validUntil().isAfter(now)).toList(), batchOf);
            Instant stale = now.minus(settings.inProgressTimeout());
            for (CredentialEntry e : open) {
                if (e.event() == CredentialEvent.REQUESTED && e.recordedAt().isBefore(stale)) {
                    act(e, () -> revoker.end(e, CredentialEvent.FAILED, Escalation.BROKER, "abandoned: the escalation did"
                            + " not finish within " + Durations.format(settings.inProgressTimeout())), () -> abandoned++);
                }
            }
            // Listed again, after the ledger was read: a credential issued between the first
            // listing and the ledger read has its role in this one, so it is not taken for vanished.
            Set<String> liveNow = new HashSet<>();
            roles.managedRoles().forEach(r -> liveNow.add(r.name()));
            for (CredentialEntry e : open) {
                if (e.event() == CredentialEvent.ISSUED && !liveNow.contains(e.roleName())) {
                    act(e, () -> revoker.end(e, CredentialEvent.RECONCILED, Escalation.BROKER,
                            "its role no longer existed"), () -> vanished++);
                }
            }
            for (ManagedRole role : live) {
                if (!openByRole.containsKey(role.name())) {
                    orphan(role);
                }
            }
            if (secrets != null) {
                reconcileSecrets(secrets, open);
            }
            Swept result = new Swept(expired, abandoned, vanished, orphans, leftovers, more, false, List.copyOf(failures));
            LOG.info("sweep expired={} abandoned={} vanished={} orphans={} leftovers={} failures={} more={}",
                    expired, abandoned, vanished, orphans, leftovers, failures.size(), more);
            return result;
        }

        /**
         * The broker's secrets, or null when they cannot be listed (throttled, denied, an unreadable
         * file in the local store). The listing serves only the removal of stray secrets, so a
         * failure skips that and nothing else: an expired credential's sessions must not outlive it
         * because a listing failed.
         */
        private List<ListedSecret> listSecrets() {
            try {
                return store.list();
            } catch (RuntimeException e) {
                String reason = Escalation.message(e);
                failures.add("stray secrets: " + reason + "; they wait for the next sweep");
                LOG.warn("sweep could not list the broker's secrets, stray secrets wait for the next sweep: {}", reason);
                return null;
            }
        }

        /**
         * A temporary login with no open credential in the lookback window: either its credential
         * is older than the window (then it is simply expired), or it outlived its credential (a
         * crash between steps), or the ledger never knew it. Disabled roles (they own objects) are
         * left alone: the ledger recorded why, and dropping them is an administrator's decision.
         */
        private void orphan(ManagedRole role) {
            List<CredentialEntry> states = ledger.statesOfRole(role.name());
            Optional<CredentialEntry> stillOpen = states.stream().filter(CredentialEntry::open).findFirst();
            if (stillOpen.isPresent()) {
                CredentialEntry e = stillOpen.get();
                act(e, () -> revoker.end(e, CredentialEvent.EXPIRED, Escalation.BROKER, "expired at " + e.validUntil()),
                        () -> expired++);
                return;
            }
            Optional<CredentialEntry> last = states.stream().max(Comparator.comparing(CredentialEntry::recordedAt));
            if (last.isPresent() && (last.get().event() == CredentialEvent.DISABLED || !role.canLogin())) {
                return; // disabled on purpose: it owns objects; the ledger says so and an admin decides
            }
            CredentialEntry known = last.orElseGet(() -> new CredentialEntry(UUID.randomUUID(), UNKNOWN, 1,
                    CredentialEvent.RECONCILED, now, UNKNOWN, null, null, UNKNOWN, role.name(), null,
                    role.validUntil() == null ? now : role.validUntil(), null, null));
            String why = last.isPresent()
                    ? "the role outlived its credential (" + known.event() + ")"
                    : "a member of the marker role that the ledger never recorded";
            act(known, () -> revoker.end(known, CredentialEvent.RECONCILED, Escalation.BROKER, why), () -> orphans++);
        }

        /**
         * Removes every secret of the broker's that holds no open credential: one left by an
         * escalation that failed and could not delete it, by a crash, or by a create that AWS
         * carried out after the broker had given up on it. A secret changed within the in-progress
         * window is left for a later sweep: its escalation may still be running.
         */
        private void reconcileSecrets(List<ListedSecret> secrets, List<CredentialEntry> open) {
            Set<String> openVersions = new HashSet<>();
            open.forEach(e -> openVersions.add(Escalation.version(e)));
            Instant settled = now.minus(settings.inProgressTimeout());
            for (ListedSecret secret : secrets) {
                if (secret.version() != null && openVersions.contains(secret.version())) {
                    continue;
                }
                Optional<CredentialEntry> known = holderOf(secret);
                // A secret whose credential the ledger shows closed goes now; any other only once
                // it is older than an escalation can take to record its credential.
                if (known.map(CredentialEntry::open).orElse(true) && secret.lastChanged().isAfter(settled)) {
                    continue;
                }
                CredentialEntry holder = known.orElseGet(() -> unknownHolder(secret));
                act(holder, () -> removeStray(secret, holder), () -> leftovers++);
            }
        }

        /** The credential whose password the secret holds, by its version. */
        private Optional<CredentialEntry> holderOf(ListedSecret secret) {
            if (secret.roleName() == null || secret.version() == null) {
                return Optional.empty();
            }
            return ledger.statesOfRole(secret.roleName()).stream()
                    .filter(e -> secret.version().equals(Escalation.version(e))).findFirst();
        }

        private CredentialEntry unknownHolder(ListedSecret secret) {
            return new CredentialEntry(UUID.randomUUID(), UNKNOWN, 1, CredentialEvent.RECONCILED, now, UNKNOWN, null,
                    null, UNKNOWN, secret.roleName() == null ? UNKNOWN : secret.roleName(), secret.name(), now,
                    null, null);
        }

        private SecretRemoval removeStray(ListedSecret secret, CredentialEntry holder) {
            SecretRemoval removal = secret.version() == null ? SecretRemoval.ABSENT
                    : store.remove(secret.name(), secret.version());
            if (removal == SecretRemoval.DELETED) {
                ledger.record(holder.next(CredentialEvent.RECONCILED, clock.instant(), Escalation.BROKER,
                        "deleted secret " + secret.name() + ", which held this credential's password after the"
                                + (UNKNOWN.equals(holder.runId()) ? " ledger lost track of it" : " credential was "
                                + holder.event())));
            }
            return removal;
        }

        /**
         * Ends expired credentials in groups (the bulk of a sweep after an outage or a busy day),
         * within the budget; each counts or fails on its own. The oldest, as many as the budget
         * takes, batch by batch ({@link ManagedRole#removalBatch}): the batch holding the oldest
         * first, so a sweep that runs out of time leaves no batch behind the others for good.
         */
        private void endExpired(List<CredentialEntry> due, Map<String, String> batchOf) {
            List<CredentialEntry> unhandled = due.stream().filter(e -> !handled.contains(e.credentialId())).toList();
            List<CredentialEntry> taken = unhandled.subList(0, Math.min(unhandled.size(), Math.max(budget, 0)));
            taken.forEach(e -> handled.add(e.credentialId()));
            if (taken.size() < unhandled.size()) {
                more = true;
            }
            List<CredentialEntry> fresh = byBatch(taken, batchOf);
            // Each group's roles go while the group before it waits for its secrets' network calls.
            Revoker.Started previous = null;
            for (int from = 0; from < fresh.size(); ) {
                if (budget <= 0 || !clock.instant().isBefore(deadline)) {
                    more = true;
                    break;
                }
                List<CredentialEntry> group = fresh.subList(from, Math.min(fresh.size(), from + Math.min(GROUP, budget)));
                from += group.size();
                budget -= group.size();
                Revoker.Started started;
                try {
                    started = revoker.start(group, CredentialEvent.EXPIRED, Escalation.BROKER,
                            e -> "expired at " + e.validUntil());
                } finally {
                    if (previous != null) {
                        count(revoker.finish(previous));
                    }
                }
                previous = started;
            }
            if (previous != null) {
                count(revoker.finish(previous));
            }
        }

        private void count(List<Revoker.Ended> ended) {
            for (Revoker.Ended e : ended) {
                if (e.failure() == null) {
                    expired++;
                } else {
                    failed(e.credential(), e.failure());
                }
            }
        }

        /** {@code oldestFirst}, regrouped by removal batch, in the order each batch first appears. */
        private static List<CredentialEntry> byBatch(List<CredentialEntry> oldestFirst, Map<String, String> batchOf) {
            Map<String, List<CredentialEntry>> batches = new java.util.LinkedHashMap<>();
            for (CredentialEntry e : oldestFirst) {
                batches.computeIfAbsent(batchOf.getOrDefault(e.roleName(), ""), b -> new ArrayList<>()).add(e);
            }
            return batches.values().stream().flatMap(List::stream).toList();
        }

        /** Runs one action within the budget, counting it on success and noting a failure. */
        private void act(CredentialEntry credential, Supplier<?> action, Runnable count) {
            if (!handled.add(credential.credentialId())) {
                return;
            }
            if (budget <= 0 || !clock.instant().isBefore(deadline)) {
                more = true;
                return;
            }
            budget--;
            try {
                action.get();
                count.run();
            } catch (RuntimeException e) {
                failed(credential, e);
            }
        }

        private void failed(CredentialEntry credential, RuntimeException e) {
            String reason = Escalation.message(e);
            failures.add("credential " + credential.roleName() + ": " + reason);
            LOG.warn("sweep could not handle credential={} role={}: {}", credential.credentialId(),
                    credential.roleName(), reason);
        }
    }
}
