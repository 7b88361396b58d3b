package io.pgephemeral.broker;

import io.micronaut.core.annotation.Nullable;

import java.time.Instant;
import java.util.UUID;

/**
 * One event in the life of one credential, as the use cases write and read it. Each entry repeats
 * the credential's facts, so a single entry answers who, what, when and why on its own. It never
 * holds a password. Read back as a <em>state</em>, it is the credential's closing event if it has
 * one, else the sweep's reconciled note if there is one, else its latest event.
 *
 * @param credentialId the credential (one per escalation attempt)
 * @param runId        Sym's run SRN
 * @param attempt      1 for the first escalation attempt of a run, 2 for a retry after a failure, ...
 * @param event        what happened
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
 */
public record CredentialEntry(
        UUID credentialId,
        String runId,
        int attempt,
        CredentialEvent event,
        Instant recordedAt,
        String requester,
        @Nullable String approver,
        @Nullable String reason,
        String target,
        String roleName,
        @Nullable String secretId,
        Instant validUntil,
        @Nullable String actor,
        @Nullable String detail) {

    /** The next event of the same credential. */
    public CredentialEntry next(CredentialEvent next, Instant at, @Nullable String by, @Nullable String why) {
        return new CredentialEntry(credentialId, runId, attempt, next, at, requester, approver, reason, target,
                roleName, secretId, validUntil, by, why);
    }

    /** Whether this state leaves the credential open: it may be usable, so ending access must act on it. */
    public boolean open() {
        return event.open();
    }
}
