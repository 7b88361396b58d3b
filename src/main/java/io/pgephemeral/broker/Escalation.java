package io.pgephemeral.broker;

import io.pgephemeral.config.Durations;
import io.pgephemeral.crypto.Password;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Issues a credential for an approved request: a new login valid for the granted duration, its
 * password in the requester's secret, and the ledger's record of both.
 *
 * <p>Order of work: record the request (a credential that cannot be recorded is never issued),
 * create the role and store the secret side by side, record the issue. A failure at any step undoes the earlier
 * ones and records the failure, so a failed escalation leaves no login and no secret behind.
 */
@Singleton
public class Escalation {

    private static final Logger LOG = LoggerFactory.getLogger(Escalation.class);
    static final String BROKER = "pg-ephemeral";

    private final TargetAllowList targets;
    private final DurationPolicy durations;
    private final RoleNames roleNames;
    private final PasswordGenerator passwords;
    private final DatabaseRoles roles;
    private final CredentialStore store;
    private final CredentialLedger ledger;
    private final Endpoint endpoint;
    private final EscalationSettings settings;
    private final Clock clock;
    /** Targets that passed {@link #requireSafe}. */
    private final Set<String> vetted = ConcurrentHashMap.newKeySet();
    private volatile boolean surveyed;
    /**
     * The escalation's side work (the verifier, the secret's write): each task is short and never
     * waits on another, so a few threads serve any number of escalations in one instance.
     */
    private final Workers workers = new Workers("escalation", 4);

    public Escalation(TargetAllowList targets, DurationPolicy durations, RoleNames roleNames,
                      PasswordGenerator passwords, DatabaseRoles roles, CredentialStore store, CredentialLedger ledger,
                      Endpoint endpoint, EscalationSettings settings, Clock clock) {
        this.targets = targets;
        this.durations = durations;
        this.roleNames = roleNames;
        this.passwords = passwords;
        this.roles = roles;
        this.store = store;
        this.ledger = ledger;
        this.endpoint = endpoint;
        this.settings = settings;
        this.clock = clock;
    }

    public Escalated escalate(EscalationRequest request) {
        Target target = targets.require(request.target());
        Duration granted = durations.grant(request.requested());
        // Every limit a name must meet is checked here, before the ledger is read or written: a
        // requester the secret store cannot name is refused with nothing to undo.
        String secretName = store.nameFor(request.requester(), target.name());
        requireSafe(target);

        // Everything expensive and random happens before any lock is taken. The verifier (4,096
        // rounds of HMAC) is worked out beside the write of the request, which only waits on the
        // database.
        Password password = new Password(passwords.generate(settings.passwordLength()));
        byte[] salt = passwords.randomBytes(ScramVerifier.saltBytes());
        Deadline deadline = Deadline.current();
        CompletableFuture<String> verifier = workers.supply(deadline,
                () -> ScramVerifier.of(password.reveal(), salt, ScramVerifier.DEFAULT_ITERATIONS));
        String roleName = roleNames.next(request.requester(), target.name());
        String capped = granted.equals(request.requested()) ? null
                : "duration capped from " + Durations.format(request.requested()) + " to " + Durations.format(granted);

        // A run never seen (Sym's first call for it) records its request in one write. Any other
        // run is read first: its credential may be issued already (a retry of a call that timed
        // out on Sym's side), unfinished, failed, or ended.
        CredentialEntry first = requestOf(request, target, secretName, roleName, capped, granted, 1);
        CredentialEntry requested;
        if (ledger.recordFirstOfRun(first)) {
            requested = first;
        } else {
            CredentialEntry last = ledger.latestAttemptOfRun(request.runId()).orElseThrow(() -> new BrokerException(
                    "the ledger holds run " + request.runId() + " but no attempt of it; nothing was changed"));
            Escalated earlier = resume(last, request, target, granted);
            if (earlier != null) {
                return earlier;
            }
            requested = requestOf(request, target, secretName, roleName, capped, granted, last.attempt() + 1);
            ledger.record(requested);
        }
        Instant validUntil = requested.validUntil();
        String version = version(requested);

        CompletableFuture<StoredSecret> secret = null;
        try {
            // The secret's write and the role's transaction are independent round trips, so they run
            // side by side. A secret written before its role exists holds a password nothing accepts
            // yet; if either fails, both are undone, and the undo waits for the write to land first.
            secret = workers.supply(deadline, () -> store.store(new IssuedCredential(
                    request.requester(), target.name(), roleName, password, endpoint, validUntil), version));
            RuntimeException roleFailure = null;
            try {
                roles.create(new NewLogin(roleName, Workers.join(verifier, "the password's verifier", deadline), validUntil,
                        target, settings.connectionLimit()));
            } catch (RuntimeException e) {
                roleFailure = e;
            }
            // The write is bounded by this invocation's deadline on its own thread and reports its
            // own timeout; the wait for it may last into the reserve so that report comes first.
            StoredSecret stored = Workers.join(secret, "the secret's write", deadline.forCleanup());
            if (roleFailure != null) {
                throw roleFailure;
            }
            if (!ledger.recordIfOpen(requested.next(CredentialEvent.ISSUED, clock.instant(), request.approver(),
                    capped))) {
                throw new BrokerException("access for run " + request.runId() + " was ended (" + howEnded(requested)
                        + ") while it was being issued; the new credential was removed");
            }
            LOG.info("issued credential={} run={} requester={} target={} role={} valid_until={}",
                    requested.credentialId(), request.runId(), request.requester(), target.name(), roleName, validUntil);
            return new Escalated(requested.credentialId(), roleName, stored.name(), stored.location(), validUntil,
                    request.requested(), granted, false);
        } catch (RuntimeException e) {
            // Undoing gets the time kept for it, even when the failure was running out of time. A
            // write still under way (its wait timed out) is given that time to land before it is undone.
            CompletableFuture<StoredSecret> pending = secret;
            throw deadline.forCleanup().call(() -> {
                settle(pending);
                return failed(e, request, target, requested, roleName, secretName, version);
            });
        }
    }

    /** The request entry of an attempt, recorded now, valid for {@code granted} from now. */
    private CredentialEntry requestOf(EscalationRequest request, Target target, String secretName, String roleName,
                                      String capped, Duration granted, int attempt) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        return new CredentialEntry(UUID.randomUUID(), request.runId(), attempt, CredentialEvent.REQUESTED, now,
                request.requester(), request.approver(), request.reason(), target.name(), roleName, secretName,
                now.plus(granted), request.approver(), capped);
    }

    /**
     * A run seen before, whose latest attempt is {@code last}: the answer it was given if its
     * credential was issued (the call is repeated, nothing changes); null when a new attempt may
     * start, after an unfinished one is cleaned up; refused when the run belongs to someone else or
     * has ended.
     */
    private Escalated resume(CredentialEntry last, EscalationRequest request, Target target, Duration granted) {
        if (!last.requester().equals(request.requester()) || !last.target().equals(target.name())) {
            throw new RequestRefused("run " + request.runId() + " was recorded for another requester or target;"
                    + " nothing was changed");
        }
        switch (last.event()) {
            case ISSUED -> {
                return replay(last, request.requested(), granted);
            }
            case REQUESTED -> abandon(last);
            case FAILED -> { }
            default -> throw new RequestRefused("access for run " + request.runId() + " already ended ("
                    + last.event() + " at " + last.recordedAt() + "); not issuing it again");
        }
        return null;
    }

    /** Lets a write still in flight finish (or fail) within the cleanup's time, before it is undone. */
    private static void settle(CompletableFuture<?> work) {
        if (work == null || work.isDone()) {
            return;
        }
        try {
            Workers.join(work, "the secret's write", Deadline.current());
        } catch (RuntimeException ignored) {
            // its failure is not the one to report; the undo below removes whatever it left
        }
    }

    @jakarta.annotation.PreDestroy
    void close() {
        workers.close();
    }

    /** Undoes a failed attempt, records the failure and returns the error to answer with. */
    private BrokerException failed(RuntimeException e, EscalationRequest request, Target target,
                                   CredentialEntry requested, String roleName, String secretName, String version) {
        // A name collision means the role is someone else's: never remove it.
        List<String> leftovers = undo(e instanceof RoleNameTaken ? null : roleName, secretName, version);
        String reason = message(e);
        recordFailure(requested, reason + (leftovers.isEmpty() ? "" : "; cleanup incomplete: "
                + String.join("; ", leftovers)));
        LOG.warn("escalation failed run={} requester={} target={}: {}", request.runId(), request.requester(),
                target.name(), reason);
        if (!leftovers.isEmpty()) {
            return new BrokerException(reason + " (cleanup incomplete, the next sweep finishes it: "
                    + String.join("; ", leftovers) + ")", e);
        }
        return e instanceof BrokerException b ? b : new BrokerException(reason, e);
    }

    /** What closed the credential, or else its run: the first closing state found. */
    private String howEnded(CredentialEntry requested) {
        return ledger.statesOfRun(requested.runId()).stream()
                .sorted(java.util.Comparator.comparing(
                        (CredentialEntry e) -> !e.credentialId().equals(requested.credentialId())))
                .filter(e -> !e.open()).map(e -> e.event().label()).findFirst().orElse("closed");
    }

    /**
     * Refuses a target whose roles are missing or would hand out more than the allow-list says,
     * before anything is written. The first escalation of an instance checks the whole allow-list
     * and logs every refused target, so an operator sees them all at once; a target that passed is
     * not checked here again, because {@link DatabaseRoles#create} checks it again in the very
     * transaction that grants it. Refusals are not remembered: a fixed role works at once.
     */
    private void requireSafe(Target target) {
        if (vetted.contains(target.name())) {
            return;
        }
        boolean survey = !surveyed;
        java.util.Collection<Target> checked = survey ? targets.all().values() : List.of(target);
        Map<String, String> refused = roles.vet(checked);
        for (Target t : checked) {
            if (!refused.containsKey(t.name())) {
                vetted.add(t.name());
            }
        }
        if (survey) {
            refused.values().forEach(why -> LOG.error("{}", why));
            surveyed = true;
        }
        String why = refused.get(target.name());
        if (why != null) {
            throw new RequestRefused(why + ". Nothing was changed");
        }
    }

    /** The run was already issued its credential: answer as the first time, change nothing. */
    private Escalated replay(CredentialEntry issued, Duration requested, Duration granted) {
        LOG.info("escalate repeated for run={}; credential={} already issued", issued.runId(), issued.credentialId());
        return new Escalated(issued.credentialId(), issued.roleName(), issued.secretId(), issued.secretId(),
                issued.validUntil(), requested, granted, true);
    }

    /**
     * An earlier attempt of this run never finished. Within the in-progress window it may still be
     * running, so the retry is refused; after it, whatever it left is removed and it is closed.
     */
    private void abandon(CredentialEntry unfinished) {
        Duration age = Duration.between(unfinished.recordedAt(), clock.instant());
        if (age.compareTo(settings.inProgressTimeout()) < 0) {
            throw new BrokerException("an escalation of run " + unfinished.runId() + " started "
                    + age.toSeconds() + "s ago and is still in progress; retry later. Nothing was changed");
        }
        List<String> leftovers = undo(unfinished.roleName(), unfinished.secretId(), version(unfinished));
        if (!leftovers.isEmpty()) {
            throw new BrokerException("could not clean up an unfinished escalation of run " + unfinished.runId()
                    + ": " + String.join("; ", leftovers));
        }
        ledger.record(unfinished.next(CredentialEvent.FAILED, clock.instant(), BROKER,
                "abandoned: the attempt did not finish within " + Durations.format(settings.inProgressTimeout())));
    }

    /**
     * Removes what an attempt may have created, and gives the requester's secret back the
     * credential it held before the attempt wrote into it; returns what could not be undone.
     */
    private List<String> undo(String roleOrNull, String secretName, String version) {
        List<String> leftovers = new ArrayList<>();
        if (roleOrNull != null) {
            try {
                roles.remove(roleOrNull);
            } catch (RuntimeException e) {
                leftovers.add("role " + roleOrNull + ": " + message(e));
            }
        }
        try {
            store.withdraw(secretName, version);
        } catch (RuntimeException e) {
            leftovers.add("secret " + secretName + ": " + message(e));
        }
        return leftovers;
    }

    private void recordFailure(CredentialEntry requested, String reason) {
        try {
            ledger.record(requested.next(CredentialEvent.FAILED, clock.instant(), BROKER, reason));
        } catch (RuntimeException e) {
            LOG.error("could not record the failure of credential={} in the ledger: {}", requested.credentialId(),
                    message(e));
        }
    }

    /**
     * The secret version an attempt writes: the same for a retry of the same attempt, so a retried
     * write creates no second version, and distinct for every attempt of every run, so the version
     * a secret holds says whose credential it is.
     */
    static String version(String runId, int attempt) {
        return UUID.nameUUIDFromBytes((runId + "#" + attempt).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** The secret version the credential's escalation wrote. */
    static String version(CredentialEntry credential) {
        return version(credential.runId(), credential.attempt());
    }

    /** One line for people: our own messages as they are, anything else by its type only. */
    static String message(RuntimeException e) {
        if (e instanceof BrokerException) {
            return e.getMessage();
        }
        String reference = UUID.randomUUID().toString();
        LOG.error("unexpected error, reference {}", reference, e);
        return "unexpected " + e.getClass().getSimpleName() + " (reference " + reference + ", see the broker's log)";
    }
}
