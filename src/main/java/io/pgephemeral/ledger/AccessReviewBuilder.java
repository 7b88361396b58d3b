package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;
import io.pgephemeral.config.Durations;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Aggregates an access review while the period's credentials stream past, oldest request first.
 * What it keeps grows with the number of people, approvers and targets, never with the number of
 * credentials or events: counts and hours per target, approvals per approver and requester, the
 * credentials of the page the timeline shows, and at most {@link ReviewSettings#rows()} credentials
 * per finding (with the full count).
 */
public final class AccessReviewBuilder {

    /** Columns of the period overview: fine enough to see a busy night, few enough to print. */
    static final int BUCKETS = 120;

    public static final String SELF_APPROVAL = "self_approval";
    public static final String REPEATED_APPROVALS = "repeated_approvals";
    public static final String NEAR_MAX_TTL = "near_max_ttl";
    public static final String OUTSIDE_WORKING_HOURS = "outside_working_hours";
    public static final String OUTLIVED_VALID_UNTIL = "outlived_valid_until";
    public static final String FAILED_OR_RECONCILED = "failed_or_reconciled";
    public static final String DISABLED_ROLE_PRESENT = "disabled_role_present";

    private final ReviewSettings settings;
    private final Instant periodEnd;
    private final @Nullable Map<String, Boolean> roles;
    private final long bucketSeconds;

    private long credentials;
    private long issued;
    private long openAtEnd;
    private final Set<String> requesters = new HashSet<>();
    private final Set<String> approvers = new HashSet<>();
    private final Map<String, double[]> hoursByTarget = new HashMap<>(); // [0] total, then buckets
    private final Map<String, Long> ended = new LinkedHashMap<>();
    private final Map<String, Map<String, long[]>> approvals = new HashMap<>(); // approver -> requester -> count
    private final List<ReviewCredential> page = new ArrayList<>();
    private final Map<String, Listing> findings = new LinkedHashMap<>();

    /**
     * @param periodEnd the end of what the period has seen: {@code until}, or now if earlier
     * @param roles     the cluster's roles and whether each can log in, or null when the ledger's
     *                  database is not the target's and they cannot be checked
     */
    public AccessReviewBuilder(ReviewSettings settings, Instant periodEnd, @Nullable Map<String, Boolean> roles) {
        this.settings = settings;
        this.periodEnd = periodEnd;
        this.roles = roles;
        this.bucketSeconds = Math.max(1, (Duration.between(settings.since(), periodEnd).getSeconds() + BUCKETS - 1) / BUCKETS);
        for (String state : List.of(LedgerEntry.REVOKED, LedgerEntry.EXPIRED, LedgerEntry.FAILED, LedgerEntry.DISABLED,
                LedgerEntry.RECONCILED)) {
            ended.put(state, 0L);
        }
        for (String id : List.of(SELF_APPROVAL, REPEATED_APPROVALS, NEAR_MAX_TTL, OUTSIDE_WORKING_HOURS,
                OUTLIVED_VALID_UNTIL, FAILED_OR_RECONCILED, DISABLED_ROLE_PRESENT)) {
            findings.put(id, new Listing(settings.rows()));
        }
    }

    private static final class Listing {
        final int cap;
        long count;
        final List<AccessReview.Flagged> listed = new ArrayList<>();

        Listing(int cap) {
            this.cap = cap;
        }

        void add(ReviewCredential c, String why) {
            count++;
            if (listed.size() < cap) {
                listed.add(new AccessReview.Flagged(c, why));
            }
        }
    }

    /** One credential of the period, in the order of the stream (oldest request first). */
    public void accept(ReviewCredential c) {
        credentials++;
        long index = credentials - 1;
        long first = (long) (settings.page() - 1) * settings.rows();
        if (index >= first && index < first + settings.rows()) {
            page.add(c);
        }
        requesters.add(c.requester());
        if (c.approver() != null) {
            approvers.add(c.approver());
            approvals.computeIfAbsent(c.approver(), a -> new HashMap<>())
                    .computeIfAbsent(c.requester(), r -> new long[1])[0]++;
        }
        double[] load = hoursByTarget.computeIfAbsent(c.target(), t -> new double[BUCKETS + 1]);
        if (c.endedAt() != null && !c.endedAt().isAfter(periodEnd)) {
            ended.merge(c.state(), 1L, Long::sum);
        }
        if (c.issuedAt() != null) {
            issued++;
            if (c.openAt(periodEnd)) {
                openAtEnd++;
            }
            Instant from = later(c.issuedAt(), settings.since());
            Instant to = accessEnd(c);
            if (from.isBefore(to)) {
                addLoad(load, from, to);
                offHours(c, from, to);
            }
            outlived(c);
        }
        if (c.selfApproved()) {
            flag(SELF_APPROVAL, c, "approved by the requester (" + c.approver() + ")");
        }
        if (c.granted().compareTo(settings.nearMaxTtlGrant()) >= 0) {
            flag(NEAR_MAX_TTL, c, "granted " + Durations.format(c.granted()) + " of at most "
                    + Durations.format(settings.maxTtl()));
        }
        failedOrReconciled(c);
        disabledRole(c);
    }

    /** When access ended as far as the period sees: its end, or the period's end while still open. */
    public Instant accessEnd(ReviewCredential c) {
        return c.endedAt() != null && c.endedAt().isBefore(periodEnd) ? c.endedAt() : periodEnd;
    }

    private void addLoad(double[] load, Instant from, Instant to) {
        load[0] += Duration.between(from, to).getSeconds() / 3600.0;
        long start = from.getEpochSecond();
        long end = to.getEpochSecond();
        long origin = settings.since().getEpochSecond();
        for (long b = (start - origin) / bucketSeconds; b < BUCKETS; b++) {
            long bucketStart = origin + b * bucketSeconds;
            long bucketEnd = bucketStart + bucketSeconds;
            if (bucketStart >= end) {
                break;
            }
            long overlap = Math.min(end, bucketEnd) - Math.max(start, bucketStart);
            if (overlap > 0) {
                load[(int) b + 1] += overlap / 3600.0;
            }
        }
    }

    private void offHours(ReviewCredential c, Instant from, Instant to) {
        WorkingHours hours = settings.workingHours();
        boolean startedOutside = !c.issuedAt().isBefore(settings.since()) && !hours.within(c.issuedAt());
        Duration outside = hours.outside(from, to);
        if (startedOutside || outside.compareTo(settings.offHoursGrace()) > 0) {
            flag(OUTSIDE_WORKING_HOURS, c, (startedOutside ? "issued outside working hours; " : "")
                    + Durations.format(outside) + " held outside them"
                    + (c.openAt(periodEnd) ? " (still open at the period's end)" : ""));
        }
    }

    private void outlived(ReviewCredential c) {
        Instant end = c.endedAt() != null ? c.endedAt() : periodEnd;
        if (!end.isAfter(c.validUntil())) {
            return;
        }
        Duration over = Duration.between(c.validUntil(), end);
        if (over.compareTo(settings.overdueGrace()) <= 0) {
            return;
        }
        Integer sessions = c.sessionsTerminated();
        String why = c.endedAt() == null
                ? "past valid_until by " + Durations.format(over) + " at the period's end and still not ended"
                : "ended " + Durations.format(over) + " after valid_until, " + (sessions == null
                        ? "sessions terminated not recorded" : sessions + " session(s) terminated");
        flag(OUTLIVED_VALID_UNTIL, c, why);
    }

    private void failedOrReconciled(ReviewCredential c) {
        if (LedgerEntry.FAILED.equals(c.state()) || LedgerEntry.RECONCILED.equals(c.state())) {
            flag(FAILED_OR_RECONCILED, c, c.state() + (c.stateDetail() == null ? "" : ": " + c.stateDetail()));
        }
    }

    /**
     * A credential closed (not failed) that the sweep reconciled within the period, found by a query
     * of its own after the stream. A failed one is listed already.
     */
    public void acceptReconciledAfterClose(ReviewCredential c) {
        if (!LedgerEntry.FAILED.equals(c.state())) {
            flag(FAILED_OR_RECONCILED, c, c.state() + ", then reconciled " + (c.notedAt() == null ? ""
                    : java.time.format.DateTimeFormatter.ISO_INSTANT.format(c.notedAt()) + ": ")
                    + (c.note() == null ? "" : c.note()));
        }
    }

    /**
     * Where the cluster's roles can be read, they decide: a disabled credential's role that is
     * still there is flagged, whatever the ledger says since. Where they cannot, the ledger decides:
     * flagged unless a later {@code reconciled} note says the sweep dealt with the role.
     */
    private void disabledRole(ReviewCredential c) {
        if (!LedgerEntry.DISABLED.equals(c.state())) {
            return;
        }
        if (roles == null) {
            if (c.notedAt() == null) {
                flag(DISABLED_ROLE_PRESENT, c, "role " + c.roleName() + " was disabled, not dropped; the ledger"
                        + " records no removal since (not checked against the database's roles)");
            }
            return;
        }
        Boolean canLogin = roles.get(c.roleName());
        if (canLogin != null) {
            flag(DISABLED_ROLE_PRESENT, c, "role " + c.roleName() + " still exists" + (canLogin
                    ? " and CAN LOG IN again" : " (NOLOGIN)"));
        }
    }

    private void flag(String finding, ReviewCredential c, String why) {
        findings.get(finding).add(c, why);
    }

    /** Approver and requester pairs over the threshold, most approvals first. */
    public List<AccessReview.Pair> repeatedPairs() {
        List<AccessReview.Pair> out = new ArrayList<>();
        approvals.forEach((approver, byRequester) -> byRequester.forEach((requester, n) -> {
            if (n[0] > settings.approvalsPerPair()) {
                out.add(new AccessReview.Pair(approver, requester, n[0]));
            }
        }));
        out.sort(Comparator.comparingLong(AccessReview.Pair::approvals).reversed()
                .thenComparing(AccessReview.Pair::approver).thenComparing(AccessReview.Pair::requester));
        return out;
    }

    /** A credential of a repeated pair, found by a second, indexed query after the stream. */
    public void acceptRepeated(ReviewCredential c, long approvals) {
        Listing l = findings.get(REPEATED_APPROVALS);
        if (l.listed.size() < l.cap) {
            l.listed.add(new AccessReview.Flagged(c, c.approver() + " approved " + c.requester() + " " + approvals
                    + " times in the period"));
        }
    }

    public int rows() {
        return settings.rows();
    }

    public AccessReview build(AccessReview.Header header) {
        List<AccessReview.Pair> pairs = repeatedPairs();
        findings.get(REPEATED_APPROVALS).count = pairs.stream().mapToLong(AccessReview.Pair::approvals).sum();

        Map<String, Double> hours = new LinkedHashMap<>();
        hoursByTarget.entrySet().stream()
                .sorted(Map.Entry.<String, double[]>comparingByValue(Comparator.comparingDouble(h -> -h[0]))
                        .thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> hours.put(e.getKey(), e.getValue()[0]));
        AccessReview.Summary summary = new AccessReview.Summary(credentials, issued, requesters.size(),
                approvers.size(), hoursByTarget.size(), hours, ended, openAtEnd);

        // Lanes: by target, then requester, each credential in request order.
        Map<String, Map<String, List<ReviewCredential>>> grouped = new TreeMap<>();
        for (ReviewCredential c : page) {
            grouped.computeIfAbsent(c.target(), t -> new TreeMap<>())
                    .computeIfAbsent(c.requester(), r -> new ArrayList<>()).add(c);
        }
        List<AccessReview.Lane> lanes = new ArrayList<>();
        grouped.forEach((target, byRequester) -> byRequester.forEach((requester, list) ->
                lanes.add(new AccessReview.Lane(target, requester, List.copyOf(list)))));
        List<AccessReview.TargetLoad> overview = new ArrayList<>();
        new TreeMap<>(hoursByTarget).forEach((target, load) ->
                overview.add(new AccessReview.TargetLoad(target, java.util.Arrays.copyOfRange(load, 1, load.length))));
        int pages = (int) Math.max(1, (credentials + settings.rows() - 1) / settings.rows());
        AccessReview.Timeline timeline = new AccessReview.Timeline(settings.since(), periodEnd, credentials,
                settings.page(), pages, settings.rows(), lanes, overview, Duration.ofSeconds(bucketSeconds));

        List<AccessReview.Finding> out = new ArrayList<>();
        WorkingHours wh = settings.workingHours();
        out.add(finding(SELF_APPROVAL, "Self-approval", "the approver is the requester", List.of()));
        out.add(finding(REPEATED_APPROVALS, "Same approver, same requester, again and again",
                "one approver approved one requester more than " + settings.approvalsPerPair() + " times in the period",
                pairs));
        out.add(finding(NEAR_MAX_TTL, "Durations at or near the maximum",
                "granted at least " + Math.round(settings.nearMaxTtl() * 100) + "% of the maximum TTL of "
                        + Durations.format(settings.maxTtl()) + " (" + Durations.format(settings.nearMaxTtlGrant())
                        + " or more)", List.of()));
        out.add(finding(OUTSIDE_WORKING_HOURS, "Access outside working hours",
                "issued outside " + wh.describe() + ", or held outside them for more than "
                        + Durations.format(settings.offHoursGrace()), List.of()));
        out.add(finding(OUTLIVED_VALID_UNTIL, "Credentials that outlived their valid_until",
                "ended (or still open) more than " + Durations.format(settings.overdueGrace())
                        + " after valid_until: PostgreSQL refuses new logins then, but open sessions go on until the"
                        + " broker ends them", List.of()));
        out.add(finding(FAILED_OR_RECONCILED, "Failed or reconciled credentials",
                "the escalation failed, or the sweep found the ledger and the database apart and recorded what it"
                        + " did", List.of()));
        out.add(finding(DISABLED_ROLE_PRESENT, "Disabled roles still present",
                "the role owned objects, so it was disabled instead of dropped, and it still exists", List.of()));
        return new AccessReview(header, settings, summary, timeline, List.copyOf(out));
    }

    private AccessReview.Finding finding(String id, String title, String rule, List<AccessReview.Pair> pairs) {
        Listing l = findings.get(id);
        return new AccessReview.Finding(id, title, rule, l.count, List.copyOf(l.listed), List.copyOf(pairs));
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
