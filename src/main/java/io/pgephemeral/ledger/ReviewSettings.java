package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;

import java.time.Duration;
import java.time.Instant;

/**
 * What an access review covers and what it flags. Every threshold is an option of
 * {@code ledger report}, with the defaults docs/auditors.md documents.
 *
 * @param since            the period's start (inclusive)
 * @param until            the period's end (exclusive)
 * @param target           only this target, or all
 * @param requester        only this requester, or all
 * @param maxTtl           the broker's longest grant
 * @param nearMaxTtl       a grant of at least this fraction of {@code maxTtl} is flagged (0 to 1)
 * @param approvalsPerPair one approver approving one requester more than this many times is flagged
 * @param workingHours     when access is expected
 * @param offHoursGrace    access held outside working hours longer than this is flagged (and any
 *                         access that began outside them)
 * @param overdueGrace     a credential ended more than this after its valid_until is flagged
 * @param rows             the most credentials kept in detail: the timeline's page, and each
 *                         finding's list
 * @param page             which page of {@code rows} credentials the timeline shows, from 1
 */
public record ReviewSettings(Instant since, Instant until, @Nullable String target, @Nullable String requester,
                             Duration maxTtl, double nearMaxTtl, int approvalsPerPair, WorkingHours workingHours,
                             Duration offHoursGrace, Duration overdueGrace, int rows, int page) {

    public ReviewSettings {
        if (!since.isBefore(until)) {
            throw new IllegalArgumentException("--since must be before --until");
        }
        if (nearMaxTtl <= 0 || nearMaxTtl > 1) {
            throw new IllegalArgumentException("--near-max-ttl must be a percentage above 0 and at most 100");
        }
        if (approvalsPerPair < 1) {
            throw new IllegalArgumentException("--approvals must be at least 1");
        }
        if (rows < 1) {
            throw new IllegalArgumentException("--rows must be at least 1");
        }
        if (page < 1) {
            throw new IllegalArgumentException("--page must be at least 1");
        }
        if (offHoursGrace.isNegative() || overdueGrace.isNegative()) {
            throw new IllegalArgumentException("grace periods must not be negative");
        }
    }

    /** The grant at or above which a credential counts as near the maximum. */
    public Duration nearMaxTtlGrant() {
        return Duration.ofSeconds((long) Math.ceil(maxTtl.getSeconds() * nearMaxTtl));
    }
}
