package io.pgephemeral.cli;

import io.pgephemeral.ledger.AccessReview;
import io.pgephemeral.ledger.LedgerEntry;
import io.pgephemeral.ledger.ReviewCredential;

import java.io.IOException;
import java.io.Writer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.pgephemeral.cli.ReportText.html;

/**
 * The access review as one self-contained HTML page: inline CSS and SVG, no script, no fonts,
 * images or styles from anywhere (its Content-Security-Policy forbids every fetch and every script,
 * so even a string that escaped escaping could not run or call out). Print CSS lays it out on
 * landscape pages; the timeline is cut into blocks of {@link #ROWS_PER_BLOCK} rows so that a
 * printed page never has to slice one. Every ledger-derived string goes through
 * {@link ReportText#html}.
 */
final class ReportHtml {

    /** Timeline rows per SVG block: one block fits a printed landscape page. */
    static final int ROWS_PER_BLOCK = 30;

    private static final int WIDTH = 1200;
    private static final int LABEL = 300;
    private static final int RIGHT = 12;
    private static final int ROW = 16;
    private static final int BAR = 10;
    private static final int AXIS = 24;

    private static final String CSS = """
            :root { --ink:#1d2330; --muted:#5b6475; --line:#d5dae3; --bg:#f6f7f9; --bad:#b3261e; --ok:#1e6b35; }
            * { box-sizing: border-box; }
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
                   color: var(--ink); margin: 0 auto; padding: 24px 32px 48px; max-width: 1280px; }
            h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px;
                   border-bottom: 2px solid var(--ink); padding-bottom: 4px; }
            h3 { font-size: 16px; margin: 20px 0 6px; }
            .sub { color: var(--muted); margin: 0 0 16px; }
            table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
            th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid var(--line);
                     overflow-wrap: anywhere; }
            th { background: var(--bg); font-weight: 600; }
            td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
            table.kv th { width: 190px; background: none; }
            code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
            .banner { padding: 10px 14px; border-radius: 6px; margin: 12px 0; font-weight: 600; }
            .banner.ok { background: #e6f4ea; color: var(--ok); border: 1px solid #a8d5b5; }
            .banner.broken { background: #fce8e6; color: var(--bad); border: 2px solid var(--bad); font-size: 16px; }
            .cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 12px; }
            .card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 150px; }
            .card b { display: block; font-size: 22px; }
            .card span { color: var(--muted); font-size: 12px; }
            .cols { display: flex; gap: 24px; flex-wrap: wrap; } .cols > div { flex: 1 1 420px; }
            .note { background: #fff8e1; border: 1px solid #f0d48a; padding: 8px 12px; border-radius: 6px; }
            .legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 6px 0 10px; font-size: 12px; color: var(--muted); }
            .legend i { display: inline-block; width: 22px; height: 10px; vertical-align: middle; margin-right: 4px; }
            .tl { margin: 6px 0 14px; } .tl svg { display: block; width: 100%; height: auto; }
            .tl h4 { margin: 10px 0 2px; font-size: 14px; }
            .finding { border-left: 4px solid var(--line); padding-left: 12px; margin: 14px 0; }
            .finding.present { border-left-color: var(--bad); }
            .badge { display: inline-block; border-radius: 10px; padding: 0 9px; font-size: 12px; font-weight: 600;
                     margin-left: 6px; vertical-align: middle; }
            .badge.present { background: var(--bad); color: #fff; } .badge.absent { background: #e6f4ea; color: var(--ok); }
            .rule { color: var(--muted); margin: 0 0 6px; }
            .signoff td { height: 40px; } .signoff th { width: 160px; }
            .box { display: inline-block; width: 12px; height: 12px; border: 1px solid var(--ink); margin: 0 4px 0 12px;
                   vertical-align: middle; }
            table.credentials td:first-child { font-size: 11px; width: 132px; word-break: break-all; }
            table.credentials td:nth-child(3) { white-space: nowrap; }
            footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
            @page { size: A4 landscape; margin: 12mm; }
            @media print {
              body { font-size: 10px; padding: 0; max-width: none; }
              h2 { break-after: avoid; } h3, h4 { break-after: avoid; }
              .tl, .card, tr, .banner, .signoff { break-inside: avoid; }
              thead { display: table-header-group; }
              #signoff { break-before: page; }
              .banner.broken, .badge, .legend i, svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
            }
            """;

    private static final Map<String, String> COLOURS = Map.of(
            LedgerEntry.REVOKED, "#2f6fdb", LedgerEntry.EXPIRED, "#15897a", LedgerEntry.FAILED, "#b3261e",
            LedgerEntry.DISABLED, "#d9822b", LedgerEntry.RECONCILED, "#7b4bb7", "open", "#c0392b");

    private final AccessReview r;
    private final StringBuilder b = new StringBuilder(1 << 18);
    private int svgs;

    ReportHtml(AccessReview review) {
        this.r = review;
    }

    void write(Writer out) throws IOException {
        AccessReview.Header h = r.header();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'\">\n")
                .append("<meta name=\"referrer\" content=\"no-referrer\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>Access review ").append(html(h.database())).append(", ")
                .append(html(ReportText.period(r))).append("</title>\n<style>").append(CSS).append("</style>\n</head>\n<body>\n");
        header(h);
        summary();
        timeline();
        findings();
        signoff();
        b.append("<footer>pg-ephemeral ledger report. Times are UTC unless marked. Generated from the audit views;"
                + " the JSON and Markdown formats of the same command carry the same content.</footer>\n</body>\n</html>\n");
        out.write(b.toString());
    }

    private void header(AccessReview.Header h) {
        b.append("<header>\n<h1>Access review</h1>\n<p class=\"sub\">").append(html(h.database())).append(" &middot; ")
                .append(html(ReportText.period(r))).append("</p>\n");
        boolean intact = h.verification().intact();
        b.append("<div id=\"verify\" class=\"banner ").append(intact ? "ok" : "broken").append("\">")
                .append(intact ? "Hash chain " : "THE LEDGER&#39;S HASH CHAIN IS BROKEN. ")
                .append(html(ReportText.verification(r))).append("</div>\n");
        b.append("<table class=\"kv\">\n");
        kv("Database", html(h.database()));
        kv("Ledger", html(h.ledger()));
        kv("Period", html(ReportText.period(r)));
        kv("Scope", html(ReportText.scope(r)));
        kv("Generated", html(ReportText.time(h.generatedAt())));
        kv("Ledger head", "<span class=\"mono\">" + html(ReportText.head(r)) + "</span>");
        kv("Thresholds", html("max TTL " + ReportText.duration(r.settings().maxTtl()) + ", near it at "
                + Math.round(r.settings().nearMaxTtl() * 100) + "%; more than " + r.settings().approvalsPerPair()
                + " approvals of one requester by one approver; working hours " + r.settings().workingHours().describe()
                + " (grace " + ReportText.duration(r.settings().offHoursGrace()) + "); overdue grace "
                + ReportText.duration(r.settings().overdueGrace())));
        b.append("</table>\n</header>\n");
    }

    private void kv(String k, String v) {
        b.append("<tr><th>").append(k).append("</th><td>").append(v).append("</td></tr>\n");
    }

    private void summary() {
        AccessReview.Summary s = r.summary();
        b.append("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n");
        card(s.credentials(), "credentials in the period");
        card(s.issued(), "issued");
        card(s.requesters(), "requesters");
        card(s.approvers(), "approvers");
        card(s.targets(), "targets");
        card(s.openAtEnd(), "still open at the period's end");
        b.append("</div>\n<div class=\"cols\">\n<div>\n<h3>Access-hours per target</h3>\n<table>\n<thead><tr><th>Target</th>"
                + "<th class=\"num\">Access-hours</th></tr></thead>\n<tbody>\n");
        s.hoursByTarget().forEach((t, hours) -> b.append("<tr><td>").append(html(t)).append("</td><td class=\"num\">")
                .append(ReportText.hours(hours)).append("</td></tr>\n"));
        b.append("</tbody>\n</table>\n</div>\n<div>\n<h3>How access ended in the period</h3>\n<table>\n<thead><tr><th>Ended by</th>"
                + "<th class=\"num\">Credentials</th></tr></thead>\n<tbody>\n");
        Map<String, String> words = Map.of(LedgerEntry.REVOKED, "deescalate (revoked)", LedgerEntry.EXPIRED,
                "the sweep, at expiry (expired)", LedgerEntry.FAILED, "failure (failed)", LedgerEntry.DISABLED,
                "disabled, role kept (disabled)", LedgerEntry.RECONCILED, "the sweep's reconciliation (reconciled)");
        s.ended().forEach((state, n) -> b.append("<tr><td>").append(html(words.getOrDefault(state, state)))
                .append("</td><td class=\"num\">").append(n).append("</td></tr>\n"));
        b.append("<tr><td>still open at the period&#39;s end</td><td class=\"num\">").append(s.openAtEnd())
                .append("</td></tr>\n</tbody>\n</table>\n</div>\n</div>\n</section>\n");
    }

    private void card(long n, String label) {
        b.append("<div class=\"card\"><b>").append(String.format(Locale.ROOT, "%,d", n)).append("</b><span>")
                .append(label).append("</span></div>\n");
    }

    // ---- timeline ----

    private double x(Instant at) {
        AccessReview.Timeline t = r.timeline();
        double span = Math.max(1, Duration.between(t.from(), t.to()).getSeconds());
        double offset = Duration.between(t.from(), at).getSeconds();
        double clamped = Math.max(0, Math.min(span, offset));
        return LABEL + clamped / span * (WIDTH - LABEL - RIGHT);
    }

    private void timeline() {
        AccessReview.Timeline t = r.timeline();
        b.append("<section id=\"timeline\">\n<h2>Timeline</h2>\n");
        b.append("<div class=\"legend\">");
        legend(COLOURS.get(LedgerEntry.REVOKED), "revoked (deescalate)");
        legend(COLOURS.get(LedgerEntry.EXPIRED), "expired (sweep)");
        legend(COLOURS.get(LedgerEntry.DISABLED), "disabled");
        legend(COLOURS.get(LedgerEntry.RECONCILED), "reconciled");
        b.append("<span><i style=\"background:repeating-linear-gradient(45deg,#c0392b 0 3px,#f6d5d1 3px 6px);"
                + "border:1px dashed #c0392b\"></i>open at the period&#39;s end</span>");
        b.append("<span><i style=\"background:none;border:0;color:#b3261e;font-style:normal;font-weight:700\">&#9670;</i>"
                + "failed, never issued</span>");
        b.append("<span>Hover a bar for approver and reason.</span></div>\n");
        b.append("<p class=\"sub\">One lane per requester, grouped by target; a bar per credential from issued to"
                + " ended. Credentials shown: ").append(t.lanes().stream().mapToInt(l -> l.credentials().size()).sum())
                .append(" of ").append(t.total()).append(".</p>\n");
        if (t.paginated()) {
            b.append("<p class=\"note\" id=\"paginated\">The period has ").append(String.format(Locale.ROOT, "%,d", t.total()))
                    .append(" credentials, more than ").append(t.rows()).append(" per page: the lanes below show page ")
                    .append(t.page()).append(" of ").append(t.pages()).append(" (credentials in request order). Use ")
                    .append("<code>--page</code> for the others, or narrow with <code>--target</code>, <code>--requester</code>")
                    .append(" or a shorter period. The overview that follows covers the whole period.</p>\n");
        }
        overview(t);
        String current = null;
        List<Row> block = new ArrayList<>();
        for (AccessReview.Lane lane : t.lanes()) {
            if (!lane.target().equals(current)) {
                flush(current, block);
                current = lane.target();
            }
            for (List<ReviewCredential> sub : stack(lane.credentials())) {
                block.add(new Row(lane.requester(), sub, block.isEmpty() || !block.get(block.size() - 1).requester.equals(lane.requester())));
                if (block.size() == ROWS_PER_BLOCK) {
                    flush(current, block);
                }
            }
        }
        flush(current, block);
        if (t.lanes().isEmpty()) {
            b.append("<p>No credential was held in this period.</p>\n");
        }
        b.append("</section>\n");
    }

    private void legend(String colour, String label) {
        b.append("<span><i style=\"background:").append(colour).append("\"></i>").append(label).append("</span>");
    }

    private record Row(String requester, List<ReviewCredential> credentials, boolean firstOfLane) {
    }

    /** Sub-rows of one lane, so that a requester's overlapping credentials for one target do not hide each other. */
    private List<List<ReviewCredential>> stack(List<ReviewCredential> credentials) {
        List<List<ReviewCredential>> rows = new ArrayList<>();
        List<Instant> ends = new ArrayList<>();
        for (ReviewCredential c : credentials) {
            Instant start = c.issuedAt() != null ? c.issuedAt() : c.requestedAt();
            Instant end = c.issuedAt() != null ? accessEnd(c) : c.requestedAt();
            int i = 0;
            while (i < rows.size() && start.isBefore(ends.get(i))) {
                i++;
            }
            if (i == rows.size()) {
                rows.add(new ArrayList<>());
                ends.add(end);
            }
            rows.get(i).add(c);
            ends.set(i, end.isAfter(ends.get(i)) ? end : ends.get(i));
        }
        return rows;
    }

    private Instant accessEnd(ReviewCredential c) {
        Instant end = r.header().periodEnd();
        return c.endedAt() != null && c.endedAt().isBefore(end) ? c.endedAt() : end;
    }

    private void flush(String target, List<Row> rows) {
        if (rows.isEmpty()) {
            return;
        }
        int n = ++svgs;
        int height = AXIS + rows.size() * ROW + 6;
        b.append("<div class=\"tl\">\n<h4>").append(html(target)).append("</h4>\n")
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" viewBox=\"0 0 ").append(WIDTH)
                .append(' ').append(height).append("\" width=\"").append(WIDTH).append("\" height=\"").append(height)
                .append("\" role=\"img\" aria-label=\"timeline of target ").append(html(target)).append("\">\n")
                .append("<defs><pattern id=\"open").append(n).append("\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"")
                .append(" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f6d5d1\"/>")
                .append("<rect width=\"3\" height=\"6\" fill=\"#c0392b\"/></pattern></defs>\n");
        axis(height);
        int y = AXIS;
        for (Row row : rows) {
            if (row.firstOfLane) {
                b.append("<line x1=\"0\" x2=\"").append(WIDTH).append("\" y1=\"").append(y).append("\" y2=\"").append(y)
                        .append("\" stroke=\"#eef0f4\"/>\n");
                b.append("<text x=\"4\" y=\"").append(y + ROW - 4).append("\" font-size=\"11\" fill=\"#1d2330\">")
                        .append(html(shorten(row.requester, 44))).append("<title>").append(html(row.requester))
                        .append("</title></text>\n");
            }
            for (ReviewCredential c : row.credentials) {
                bar(c, y, n);
            }
            y += ROW;
        }
        b.append("</svg>\n</div>\n");
        rows.clear();
    }

    private void axis(int height) {
        AccessReview.Timeline t = r.timeline();
        Duration span = Duration.between(t.from(), t.to());
        ChronoUnit unit;
        long step;
        long hours = Math.max(1, span.toHours());
        if (hours <= 12) { unit = ChronoUnit.HOURS; step = 1; }
        else if (hours <= 48) { unit = ChronoUnit.HOURS; step = 6; }
        else if (hours <= 24 * 14) { unit = ChronoUnit.DAYS; step = Math.max(1, hours / 24 / 10 + 1); }
        else if (hours <= 24 * 120) { unit = ChronoUnit.WEEKS; step = Math.max(1, hours / 24 / 7 / 12 + 1); }
        else { unit = ChronoUnit.MONTHS; step = Math.max(1, hours / 24 / 30 / 12 + 1); }
        DateTimeFormatter format = DateTimeFormatter.ofPattern(unit == ChronoUnit.HOURS ? "MM-dd HH:mm" : "yyyy-MM-dd")
                .withZone(ZoneOffset.UTC);
        ZonedDateTime tick = first(t.from().atZone(ZoneOffset.UTC), unit);
        int drawn = 0;
        while (!tick.toInstant().isAfter(t.to()) && drawn < 40) {
            double x = x(tick.toInstant());
            boolean label = x + 64 <= WIDTH; // a label at the right edge would be cut off
            b.append("<line x1=\"").append(fmt(x)).append("\" x2=\"").append(fmt(x)).append("\" y1=\"").append(AXIS - 6)
                    .append("\" y2=\"").append(height).append("\" stroke=\"#e2e5eb\"/>");
            if (label) {
                b.append("<text x=\"").append(fmt(x + 2)).append("\" y=\"").append(AXIS - 9)
                        .append("\" font-size=\"10\" fill=\"#5b6475\">").append(format.format(tick)).append("</text>");
            }
            b.append('\n');
            tick = tick.plus(step, unit);
            drawn++;
        }
    }

    private static ZonedDateTime first(ZonedDateTime from, ChronoUnit unit) {
        ZonedDateTime t = switch (unit) {
            case HOURS -> from.truncatedTo(ChronoUnit.HOURS);
            case DAYS -> from.truncatedTo(ChronoUnit.DAYS);
            case WEEKS -> from.truncatedTo(ChronoUnit.DAYS).with(java.time.DayOfWeek.MONDAY);
            default -> from.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
        };
        return t.toInstant().isBefore(from.toInstant()) ? t.plus(1, unit) : t;
    }

    private void bar(ReviewCredential c, int y, int pattern) {
        String title = html(c.requester() + " on " + c.target() + "\napproved by " + ReportText.orNone(c.approver())
                + "\nreason: " + ReportText.orNone(c.reason()) + "\n" + ReportText.interval(c, r.header().periodEnd())
                + "\ncredential " + c.id());
        int top = y + (ROW - BAR) / 2;
        if (c.issuedAt() == null) {
            double x = x(c.requestedAt());
            b.append("<polygon class=\"bar failed\" data-credential=\"").append(c.id()).append("\" points=\"")
                    .append(fmt(x)).append(',').append(top).append(' ').append(fmt(x + 5)).append(',').append(top + BAR / 2)
                    .append(' ').append(fmt(x)).append(',').append(top + BAR).append(' ').append(fmt(x - 5)).append(',')
                    .append(top + BAR / 2).append("\" fill=\"").append(COLOURS.get(LedgerEntry.FAILED)).append("\"><title>")
                    .append(title).append("</title></polygon>\n");
            return;
        }
        double x1 = x(c.issuedAt());
        double x2 = Math.max(x1 + 2, x(accessEnd(c)));
        boolean open = c.openAt(r.header().periodEnd());
        b.append("<rect class=\"bar ").append(open ? "open" : html(c.state())).append("\" data-credential=\"").append(c.id())
                .append("\" x=\"").append(fmt(x1)).append("\" y=\"").append(top).append("\" width=\"").append(fmt(x2 - x1))
                .append("\" height=\"").append(BAR).append("\" rx=\"2\"");
        if (open) {
            b.append(" fill=\"url(#open").append(pattern).append(")\" stroke=\"#c0392b\" stroke-dasharray=\"3 2\"");
        } else {
            b.append(" fill=\"").append(COLOURS.getOrDefault(c.state(), "#777")).append('"');
        }
        b.append("><title>").append(title).append("</title></rect>\n");
        if (open) { // an arrowhead: it goes on past the period's end
            b.append("<polygon points=\"").append(fmt(x2)).append(',').append(top - 2).append(' ').append(fmt(x2 + 6))
                    .append(',').append(top + BAR / 2).append(' ').append(fmt(x2)).append(',').append(top + BAR + 2)
                    .append("\" fill=\"#c0392b\"/>\n");
        }
    }

    /** Access-hours per target across the whole period, one cell per bucket: the picture above the page size. */
    private void overview(AccessReview.Timeline t) {
        if (t.overview().isEmpty()) {
            return;
        }
        double max = 0;
        for (AccessReview.TargetLoad load : t.overview()) {
            for (double h : load.hours()) {
                max = Math.max(max, h);
            }
        }
        int rows = t.overview().size();
        int height = AXIS + rows * ROW + 6;
        b.append("<div class=\"tl\" id=\"overview\">\n<h4>Whole period: access-hours per target (darker is more; each cell ")
                .append(html(ReportText.duration(t.bucket()))).append(")</h4>\n")
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"overview\" viewBox=\"0 0 ").append(WIDTH).append(' ')
                .append(height).append("\" width=\"").append(WIDTH).append("\" height=\"").append(height)
                .append("\" role=\"img\" aria-label=\"access-hours per target\">\n");
        axis(height);
        int y = AXIS;
        double cell = (WIDTH - LABEL - RIGHT) / (double) t.overview().get(0).hours().length;
        for (AccessReview.TargetLoad load : t.overview()) {
            b.append("<text x=\"4\" y=\"").append(y + ROW - 4).append("\" font-size=\"11\" fill=\"#1d2330\">")
                    .append(html(shorten(load.target(), 44))).append("</text>\n");
            for (int i = 0; i < load.hours().length; i++) {
                double h = load.hours()[i];
                if (h <= 0) {
                    continue;
                }
                Instant from = t.from().plus(t.bucket().multipliedBy(i));
                double opacity = 0.15 + 0.85 * h / max;
                b.append("<rect x=\"").append(fmt(LABEL + i * cell)).append("\" y=\"").append(y + 2).append("\" width=\"")
                        .append(fmt(Math.max(1, cell - 0.5))).append("\" height=\"").append(ROW - 4)
                        .append("\" fill=\"#2f6fdb\" fill-opacity=\"").append(fmt(opacity)).append("\"><title>")
                        .append(html(load.target() + ": " + ReportText.hours(h) + " access-hours from "
                                + ReportText.time(from) + " to " + ReportText.time(from.plus(t.bucket()))))
                        .append("</title></rect>\n");
            }
            y += ROW;
        }
        b.append("</svg>\n</div>\n");
    }

    private static String shorten(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "\u2026";
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    // ---- findings and sign-off ----

    private void findings() {
        b.append("<section id=\"findings\">\n<h2>Findings</h2>\n");
        for (AccessReview.Finding f : r.findings()) {
            b.append("<div class=\"finding ").append(f.present() ? "present" : "absent").append("\" id=\"finding-")
                    .append(f.id()).append("\">\n<h3>").append(html(f.title())).append("<span class=\"badge ")
                    .append(f.present() ? "present\">" + f.count() + " credential" + (f.count() == 1 ? "" : "s") : "absent\">none")
                    .append("</span></h3>\n<p class=\"rule\">").append(html(f.rule())).append(".</p>\n");
            if (!f.pairs().isEmpty()) {
                b.append("<table>\n<thead><tr><th>Approver</th><th>Requester</th><th class=\"num\">Approvals</th></tr></thead>\n<tbody>\n");
                for (AccessReview.Pair p : f.pairs()) {
                    b.append("<tr><td>").append(html(p.approver())).append("</td><td>").append(html(p.requester()))
                            .append("</td><td class=\"num\">").append(p.approvals()).append("</td></tr>\n");
                }
                b.append("</tbody>\n</table>\n");
            }
            if (!f.listed().isEmpty()) {
                if (f.listed().size() < f.count()) {
                    b.append("<p class=\"note\">The first ").append(f.listed().size()).append(" of ").append(f.count())
                            .append(" are listed (<code>--rows</code> sets how many).</p>\n");
                }
                b.append("<table class=\"credentials\">\n<thead><tr><th>Credential</th><th>Requester</th><th>Target</th>"
                        + "<th>Approver</th><th>Reason</th><th>Access</th><th>Why</th></tr></thead>\n<tbody>\n");
                for (AccessReview.Flagged fl : f.listed()) {
                    ReviewCredential c = fl.credential();
                    b.append("<tr><td class=\"mono\">").append(c.id()).append("</td><td>").append(html(c.requester()))
                            .append("</td><td>").append(html(c.target())).append("</td><td>")
                            .append(html(ReportText.orNone(c.approver()))).append("</td><td>")
                            .append(html(ReportText.orNone(c.reason()))).append("</td><td>")
                            .append(html(ReportText.interval(c, r.header().periodEnd()))).append("</td><td>")
                            .append(html(fl.why())).append("</td></tr>\n");
                }
                b.append("</tbody>\n</table>\n");
            }
            b.append("</div>\n");
        }
        b.append("<p class=\"rule\">").append(html(r.header().roleCheck())).append(".</p>\n</section>\n");
    }

    private void signoff() {
        b.append("<section id=\"signoff\">\n<h2>Sign-off</h2>\n<p>I reviewed the access above for ")
                .append(html(ReportText.period(r))).append(" (").append(html(ReportText.scope(r)))
                .append(") and the findings listed.</p>\n<table class=\"kv signoff\">\n")
                .append("<tr><th>Reviewer</th><td></td></tr>\n<tr><th>Date</th><td></td></tr>\n")
                .append("<tr><th>Decision</th><td><span class=\"box\"></span>access appropriate")
                .append("<span class=\"box\"></span>exceptions noted below<span class=\"box\"></span>access to be removed</td></tr>\n")
                .append("<tr><th>Notes</th><td style=\"height:90px\"></td></tr>\n<tr><th>Signature</th><td></td></tr>\n")
                .append("</table>\n</section>\n");
    }
}
