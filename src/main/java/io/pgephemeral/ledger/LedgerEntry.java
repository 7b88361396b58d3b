package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;
import io.pgephemeral.broker.CredentialEvent;

import java.time.Instant;
import java.util.UUID;

/**
 * One row of the ledger: one event in the life of one credential. Rows are only ever appended;
 * the credential's state is its latest row. Each row repeats the credential's facts, so a single
 * row answers who, what, when and why on its own. It never holds a password.
 *
 * @param seq          order of recording, assigned by the database
 * @param credentialId the credential this event belongs to (one per escalation attempt)
 * @param runId        Sym's run SRN
 * @param attempt      1 for the first escalation attempt of a run, 2 for a retry after a failure, ...
 * @param event        requested, issued, failed, revoked, disabled, expired or reconciled
 * @param recordedAt   when the broker recorded it
 * @param requester    who holds (or would have held) the credential
 * @param approver     who approved the request
 * @param reason       the requester's reason
 * @param target       the allow-listed target name
 * @param roleName     the temporary role
 * @param secretId     the secret that holds the credential
 * @param validUntil   when the credential expires
 * @param actor        who caused this event: the approver, whoever ended access, or the broker
 * @param detail       one line: why it failed, why a role was disabled, that a duration was capped
 * @param prevHash     the hash of the row before this one in the chain; set by {@link Ledger#append}
 * @param hash         SHA-256 of this row and {@code prevHash} (see {@link ChainHash}); set by
 *                     {@link Ledger#append}
 */
public record LedgerEntry(
        @Nullable Long seq,
        UUID credentialId,
        String runId,
        int attempt,
        String event,
        Instant recordedAt,
        String requester,
        @Nullable String approver,
        @Nullable String reason,
        String target,
        String roleName,
        @Nullable String secretId,
        Instant validUntil,
        @Nullable String actor,
        @Nullable String detail,
        @Nullable String prevHash,
        @Nullable String hash) {

    /** An entry not yet in the chain: {@link Ledger#append} fills in the hashes. */
    public LedgerEntry(@Nullable Long seq, UUID credentialId, String runId, int attempt, String event, Instant recordedAt,
                       String requester, @Nullable String approver, @Nullable String reason, String target,
                       String roleName, @Nullable String secretId, Instant validUntil, @Nullable String actor,
                       @Nullable String detail) {
        this(seq, credentialId, runId, attempt, event, recordedAt, requester, approver, reason, target, roleName,
                secretId, validUntil, actor, detail, null, null);
    }

    // The events as stored, and the sets of them the ledger's queries and guards use, as SQL lists:
    // all derived from CredentialEvent, the one definition the use cases and the ledger share.

    public static final String REQUESTED = CredentialEvent.REQUESTED.label();
    public static final String ISSUED = CredentialEvent.ISSUED.label();
    public static final String FAILED = CredentialEvent.FAILED.label();
    public static final String REVOKED = CredentialEvent.REVOKED.label();
    public static final String DISABLED = CredentialEvent.DISABLED.label();
    public static final String EXPIRED = CredentialEvent.EXPIRED.label();
    public static final String RECONCILED = CredentialEvent.RECONCILED.label();

    /**
     * Events that close a credential: at most one per credential (V3's unique index, which
     * {@code LedgerEventSetsTest} compares with this list).
     */
    public static final String CLOSING_SQL = sqlList(CredentialEvent::closes);
    /**
     * Events after which a credential is no longer open: a closing event, or the sweep's
     * {@code reconciled} note on a credential it found without its role.
     */
    public static final String ENDED_SQL = sqlList(CredentialEvent::ends);
    /**
     * Events that end a run: access was taken away. A run whose attempts merely failed may be
     * retried; once it has one of these, no credential of it may be requested or issued.
     */
    public static final String RUN_ENDING_SQL = sqlList(CredentialEvent::endsRun);
    /** Events of a credential that is open: it may be usable, so ending access must act on it. */
    public static final String OPEN_SQL = sqlList(CredentialEvent::open);

    /** The events that pass {@code in}, as an SQL list of literals: {@code ('a', 'b')}. */
    private static String sqlList(java.util.function.Predicate<CredentialEvent> in) {
        return java.util.Arrays.stream(CredentialEvent.values()).filter(in).map(e -> "'" + e.label() + "'")
                .collect(java.util.stream.Collectors.joining(", ", "(", ")"));
    }

    /** A credential's event as the use cases wrote it, not yet in the chain. */
    public static LedgerEntry of(io.pgephemeral.broker.CredentialEntry c) {
        return new LedgerEntry(null, c.credentialId(), c.runId(), c.attempt(), c.event().label(), c.recordedAt(),
                c.requester(), c.approver(), c.reason(), c.target(), c.roleName(), c.secretId(), c.validUntil(),
                c.actor(), c.detail());
    }

    /** This row as the use cases read it: the credential's facts and event, without its place in the chain. */
    public io.pgephemeral.broker.CredentialEntry credential() {
        return new io.pgephemeral.broker.CredentialEntry(credentialId, runId, attempt,
                CredentialEvent.of(event), recordedAt, requester, approver, reason, target,
                roleName, secretId, validUntil, actor, detail);
    }

    /** The next event of the same credential. */
    public LedgerEntry next(String event, Instant at, @Nullable String actor, @Nullable String detail) {
        return new LedgerEntry(null, credentialId, runId, attempt, event, at, requester, approver, reason,
                target, roleName, secretId, validUntil, actor, detail);
    }

    /** This entry as recorded at {@code seq}, linked to {@code prevHash}, with its own {@code hash}. */
    LedgerEntry chained(long seq, String prevHash, String hash) {
        return new LedgerEntry(seq, credentialId, runId, attempt, event, recordedAt, requester, approver, reason,
                target, roleName, secretId, validUntil, actor, detail, prevHash, hash);
    }

    /**
     * Whether this state row leaves the credential open: it may still be usable, so ending access
     * must act on it. Only meaningful on a state row (see LedgerReads).
     */
    public boolean open() {
        return REQUESTED.equals(event) || ISSUED.equals(event);
    }
}
