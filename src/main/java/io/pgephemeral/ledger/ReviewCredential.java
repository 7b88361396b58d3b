package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One credential as the access review reads it: {@code audit_credentials}'s row, and the latest
 * {@code reconciled} note recorded after its closing event (a role or secret that outlived it).
 */
public record ReviewCredential(UUID id, String requester, String target, String roleName, @Nullable String approver,
                               @Nullable String reason, Instant requestedAt, @Nullable Instant issuedAt,
                               Instant validUntil, String state, @Nullable String stateActor,
                               @Nullable String stateDetail, @Nullable Instant endedAt, @Nullable Instant notedAt,
                               @Nullable String note) {

    private static final Pattern SESSIONS = Pattern.compile("(\\d{1,9}) session\\(s\\) terminated");

    /** Still open at {@code at}: not ended, or ended only later. */
    public boolean openAt(Instant at) {
        return endedAt == null || endedAt.isAfter(at);
    }

    /** What the broker granted: from the request to valid_until. */
    public Duration granted() {
        return Duration.between(requestedAt, validUntil);
    }

    /** Sessions the broker terminated when it ended the credential, if its detail says. */
    public @Nullable Integer sessionsTerminated() {
        if (stateDetail == null) {
            return null;
        }
        Matcher m = SESSIONS.matcher(stateDetail);
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }

    public boolean selfApproved() {
        return approver != null && approver.strip().equalsIgnoreCase(requester.strip());
    }
}
