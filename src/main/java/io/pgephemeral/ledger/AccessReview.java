package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An access review of one period, as {@code ledger report} renders it: where the ledger is and
 * whether its chain holds, a summary, a timeline and the findings. Built by
 * {@link AccessReviewBuilder} from credentials streamed out of the audit views; everything
 * per credential is bounded by {@link ReviewSettings#rows()}.
 */
public record AccessReview(Header header, ReviewSettings settings, Summary summary, Timeline timeline,
                           List<Finding> findings) {

    /**
     * @param database     host, port and database name of the target database, without credentials
     * @param ledger       where the ledger was read: host, port, database and schema
     * @param generatedAt  when the report was made
     * @param periodEnd    the end of what the period has seen: {@code until}, or now if that is earlier
     * @param head         the ledger's newest row, or null for an empty ledger
     * @param verification the hash chain's check
     * @param roleCheck    how "disabled roles still present" was checked
     */
    public record Header(String database, String ledger, Instant generatedAt, Instant periodEnd, @Nullable Head head,
                         Verification verification, String roleCheck) {
    }

    public record Head(long seq, String hash) {
    }

    /**
     * The whole chain, walked from its first row: the period's events are intact only if every row
     * before them is too.
     *
     * @param verified  chained rows intact (all, or those before the break)
     * @param brokenSeq the first broken row, or null when intact
     * @param brokenAt  when that row says it was recorded, if it could be read
     * @param where     the break relative to the period: before, within or after; null when intact
     * @param problem   what is wrong with that row
     */
    public record Verification(long verified, long unchained, @Nullable Head intactUpTo, @Nullable Long brokenSeq,
                               @Nullable Instant brokenAt, @Nullable String where, @Nullable String problem) {
        public boolean intact() {
            return brokenSeq == null;
        }

        /** Whether the break leaves events of the period unverified. */
        public boolean periodAffected() {
            return brokenSeq != null && !"after".equals(where);
        }
    }

    /**
     * @param credentials credentials whose time overlaps the period
     * @param issued      of them, those that were issued (the rest failed before)
     * @param hoursByTarget access-hours within the period, per target, most first
     * @param ended       how access ended within the period: revoked, expired, failed, disabled, reconciled
     * @param openAtEnd   issued credentials still open at the period's end
     */
    public record Summary(long credentials, long issued, int requesters, int approvers, int targets,
                          Map<String, Double> hoursByTarget, Map<String, Long> ended, long openAtEnd) {
    }

    /**
     * The credentials of one page, in lanes; and the whole period per target, in buckets.
     *
     * @param from      the timeline's left edge (the period's start)
     * @param to        its right edge (the period's end, or now)
     * @param total     credentials in the period
     * @param page      the page shown, from 1
     * @param pages     how many pages of {@code rows} there are
     * @param lanes     one per requester and target, grouped by target, with the page's credentials
     * @param overview  access-hours per target per bucket, for the whole period
     * @param bucket    the width of one overview bucket
     */
    public record Timeline(Instant from, Instant to, long total, int page, int pages, int rows, List<Lane> lanes,
                           List<TargetLoad> overview, Duration bucket) {
        public boolean paginated() {
            return pages > 1;
        }
    }

    public record Lane(String target, String requester, List<ReviewCredential> credentials) {
    }

    public record TargetLoad(String target, double[] hours) {
    }

    /**
     * One kind of anomaly.
     *
     * @param id          stable name, for pipelines: self_approval, repeated_approvals, near_max_ttl,
     *                    outside_working_hours, outlived_valid_until, failed_or_reconciled,
     *                    disabled_role_present
     * @param rule        the rule with its thresholds, in words
     * @param count       credentials concerned (all, not just those listed)
     * @param listed      the first {@link ReviewSettings#rows()} of them, each with why
     * @param pairs       for repeated approvals: each approver and requester over the threshold
     */
    public record Finding(String id, String title, String rule, long count, List<Flagged> listed, List<Pair> pairs) {
        public boolean present() {
            return count > 0;
        }
    }

    public record Flagged(ReviewCredential credential, String why) {
    }

    public record Pair(String approver, String requester, long approvals) {
    }
}
