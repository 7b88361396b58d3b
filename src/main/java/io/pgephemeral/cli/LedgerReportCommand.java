package io.pgephemeral.cli;

import io.micronaut.context.annotation.Prototype;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.config.Durations;
import io.pgephemeral.ledger.AccessReview;
import io.pgephemeral.ledger.AccessReviewBuilder;
import io.pgephemeral.ledger.AccessReviewQuery;
import io.pgephemeral.ledger.ChainVerifier;
import io.pgephemeral.ledger.ReviewSettings;
import io.pgephemeral.ledger.WorkingHours;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

@Command(name = "report",
        description = {"An access review of one period, for auditors to read and sign: who held access to which "
                + "target, for how long, approved by whom and why, how it ended, and what looks wrong.", "",
                "html (one self-contained file: inline CSS and SVG, no scripts, nothing fetched; prints to PDF), "
                + "md or json, with the same content. It covers credentials whose time (requested until ended, or "
                + "until now while open) overlaps [--since, --until), walks the whole hash chain and says plainly "
                + "when it is broken, and reads the ledger as a stream: memory does not grow with the period. "
                + "Exit status 0 when written and the chain is intact, 1 when written but the chain is broken, "
                + "2 when it could not run."},
        mixinStandardHelpOptions = true, sortOptions = false)
@Prototype // a bean, so that the injection points it inherits are filled
public class LedgerReportCommand extends LedgerSubcommand {

    @Option(names = "--since", required = true, paramLabel = "TIME", description = "the period's start (a date, midnight UTC, or a time with its offset)")
    String since;

    @Option(names = "--until", required = true, paramLabel = "TIME", description = "the period's end, exclusive")
    String until;

    @Option(names = "--target", description = "only this target")
    String target;

    @Option(names = "--requester", paramLabel = "EMAIL", description = "only this requester")
    String requester;

    @Option(names = "--format", defaultValue = "html", description = "html, md or json (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--out", paramLabel = "FILE", description = "write here instead of stdout (replaced only once the report is complete)")
    Path out;

    @Option(names = "--max-ttl", paramLabel = "DURATION",
            description = "the broker's longest grant (default: BROKER_MAX_TTL, which defaults to 12h)")
    String maxTtl;

    @Option(names = "--near-max-ttl", paramLabel = "PERCENT", defaultValue = "90",
            description = "flag grants of at least this share of --max-ttl (default: ${DEFAULT-VALUE})")
    double nearMaxTtl;

    @Option(names = "--approvals", paramLabel = "N", defaultValue = "10",
            description = "flag one approver approving one requester more than N times in the period (default: ${DEFAULT-VALUE})")
    int approvals;

    @Option(names = "--working-hours", paramLabel = "HH:MM-HH:MM", defaultValue = "08:00-18:00",
            description = "expected hours of access (default: ${DEFAULT-VALUE})")
    String workingHours;

    @Option(names = "--working-days", paramLabel = "DAYS", defaultValue = "MON-FRI",
            description = "expected days, e.g. MON-FRI or MON,TUE,THU (default: ${DEFAULT-VALUE})")
    String workingDays;

    @Option(names = "--time-zone", paramLabel = "ZONE", defaultValue = "UTC",
            description = "zone of the working hours, e.g. Europe/Berlin (default: ${DEFAULT-VALUE})")
    String timeZone;

    @Option(names = "--off-hours-grace", paramLabel = "DURATION", defaultValue = "15m",
            description = "flag access held outside working hours for longer than this; access issued outside them is always flagged (default: ${DEFAULT-VALUE})")
    String offHoursGrace;

    @Option(names = "--overdue-grace", paramLabel = "DURATION", defaultValue = "5m",
            description = "flag credentials ended more than this after valid_until; the sweep runs every minute (default: ${DEFAULT-VALUE})")
    String overdueGrace;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "500",
            description = "credentials per timeline page and per finding's list (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--page", paramLabel = "N", defaultValue = "1",
            description = "which page of --rows credentials the timeline shows, oldest first (default: ${DEFAULT-VALUE})")
    int page;

    @Option(names = "--no-role-check",
            description = "do not look for disabled roles in pg_roles (use when the ledger is in another cluster than the target database)")
    boolean noRoleCheck;

    private ReviewSettings settings;
    private ReportFormat chosen;

    enum ReportFormat { HTML, MD, JSON }

    @Override
    String name() {
        return "report";
    }

    @Override
    void validate() {
        try {
            chosen = ReportFormat.valueOf(format.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new LedgerLogin.Unusable("--format '" + format + "' is not html, md or json");
        }
        Instant from = Text.parseTime("--since", since);
        Instant to = Text.parseTime("--until", until);
        try {
            WorkingHours hours = WorkingHours.parse(workingHours, workingDays, timeZone);
            Duration ttl = duration("--max-ttl", maxTtl != null ? maxTtl : config.maxTtl());
            settings = new ReviewSettings(from, to, blankToNull(target), blankToNull(requester), ttl, nearMaxTtl / 100.0,
                    approvals, hours, grace("--off-hours-grace", offHoursGrace), grace("--overdue-grace", overdueGrace),
                    rows, page);
        } catch (IllegalArgumentException e) {
            throw new LedgerLogin.Unusable(e.getMessage());
        }
        if (out != null && out.getParent() != null && !Files.isDirectory(out.getParent())) {
            throw new LedgerLogin.Unusable("--out " + out + ": no directory " + out.getParent());
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static Duration duration(String option, String value) {
        try {
            return Durations.parse(value, ChronoUnit.SECONDS);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }

    private static Duration grace(String option, String value) {
        return value.strip().matches("0+[smhd]?") ? Duration.ZERO : duration(option, value);
    }

    @Override
    int run(Connection ledger) throws Exception {
        Instant now = Instant.now();
        Instant periodEnd = settings.until().isBefore(now) ? settings.until()
                : now.isAfter(settings.since()) ? now : settings.until();
        AccessReviewQuery query = new AccessReviewQuery(login.table());
        String ledgerUrl = BrokerConfig.firstSet(login.url, config.ledgerJdbcUrl());
        String targetUrl = config.dbUrl() != null ? config.dbUrl() : ledgerUrl;
        boolean sameCluster = !noRoleCheck && DatabaseUrl.cluster(ledgerUrl).equals(DatabaseUrl.cluster(targetUrl));

        // The chain is walked on a second connection while the period streams on this one: the
        // two reads are each bound by a different server process, and by a different core.
        ExecutorService walker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "report-verify");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<ChainVerifier.Result> verified = walker.submit(() -> {
                try (Connection second = login.open(config, botPassword, process)) {
                    return new ChainVerifier(login.table()).verify(second, Map.of(), n -> { });
                }
            });
            AccessReview.Head head = query.head(ledger);
            AccessReviewBuilder builder = new AccessReviewBuilder(settings, periodEnd,
                    sameCluster ? AccessReviewQuery.roles(ledger) : null);
            query.stream(ledger, settings, builder);
            query.repeated(ledger, settings, builder);
            query.reconciledAfterClose(ledger, settings, builder);
            ChainVerifier.Result result = result(verified);
            AccessReview.Verification verification = verification(query, ledger, result);
            String roleCheck = sameCluster
                    ? "disabled roles looked up in pg_roles of " + DatabaseUrl.describe(ledgerUrl) + " at generation time"
                    : "disabled roles not looked up: " + (noRoleCheck ? "--no-role-check" : "the ledger is not in the"
                    + " target database's cluster") + "; every disabled role the ledger records no removal of is listed";
            AccessReview review = builder.build(new AccessReview.Header(DatabaseUrl.describe(targetUrl),
                    DatabaseUrl.describe(ledgerUrl) + " schema " + login.table().schema(), now, periodEnd, head,
                    verification, roleCheck));
            write(review);
            System.err.println("report: " + review.summary().credentials() + " credential(s) in the period, "
                    + review.findings().stream().filter(AccessReview.Finding::present).count() + " kind(s) of finding"
                    + (out == null ? "" : ", written to " + out));
            if (!verification.intact()) {
                System.err.println("report: the ledger's hash chain is BROKEN at seq " + verification.brokenSeq()
                        + " (" + verification.where() + " the period): " + verification.problem());
                return 1;
            }
            return 0;
        } finally {
            walker.shutdownNow();
        }
    }

    private static ChainVerifier.Result result(Future<ChainVerifier.Result> verified) throws Exception {
        try {
            return verified.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private AccessReview.Verification verification(AccessReviewQuery query, Connection ledger, ChainVerifier.Result r)
            throws Exception {
        AccessReview.Head intact = r.head() == null ? null : new AccessReview.Head(r.head().seq(), r.head().hash());
        if (r.intact()) {
            return new AccessReview.Verification(r.verified(), r.unchained(), intact, null, null, null, null);
        }
        long seq = r.broken().seq();
        Instant at = query.recordedAt(ledger, seq);
        String where = at == null ? "before" // a row missing from the ledger: it cannot be placed after anything
                : at.isBefore(settings.since()) ? "before" : at.isBefore(settings.until()) ? "within" : "after";
        return new AccessReview.Verification(r.verified(), r.unchained(), intact, seq, at, where, r.broken().problem());
    }

    private void write(AccessReview review) throws IOException {
        if (out == null) {
            // Straight to the file descriptor: System.out's PrintStream would swallow write errors.
            Writer w = new BufferedWriter(new OutputStreamWriter(process.stdout(),
                    StandardCharsets.UTF_8), 1 << 16);
            render(review, w);
            w.flush();
            return;
        }
        Path dir = out.toAbsolutePath().getParent();
        Path partial = Files.createTempFile(dir, ".report-", ".partial");
        try {
            try (Writer w = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
                render(review, w);
            }
            Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private void render(AccessReview review, Writer w) throws IOException {
        switch (chosen) {
            case HTML -> new ReportHtml(review).write(w);
            case MD -> new ReportMarkdown(review).write(w);
            case JSON -> new ReportJson(review).write(w);
        }
    }
}
