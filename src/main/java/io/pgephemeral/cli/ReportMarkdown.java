package io.pgephemeral.cli;

import io.pgephemeral.ledger.AccessReview;
import io.pgephemeral.ledger.ReviewCredential;

import java.io.IOException;
import java.io.Writer;
import java.util.Map;

import static io.pgephemeral.cli.ReportText.markdown;

/**
 * The access review as Markdown: the HTML's content with the timeline as a table (one row per
 * credential of the page, grouped by target and requester). Every ledger-derived string goes
 * through {@link ReportText#markdown}.
 */
final class ReportMarkdown {

    private final AccessReview r;
    private final StringBuilder b = new StringBuilder(1 << 16);

    ReportMarkdown(AccessReview review) {
        this.r = review;
    }

    void write(Writer out) throws IOException {
        AccessReview.Header h = r.header();
        line("# Access review: " + markdown(h.database()));
        line("");
        line("| | |");
        line("|---|---|");
        row("Database", markdown(h.database()));
        row("Ledger", markdown(h.ledger()));
        row("Period", markdown(ReportText.period(r)));
        row("Scope", markdown(ReportText.scope(r)));
        row("Generated", markdown(ReportText.time(h.generatedAt())));
        row("Ledger head", markdown(ReportText.head(r)));
        row("Hash chain", (h.verification().intact() ? "" : "**") + markdown(ReportText.verification(r))
                + (h.verification().intact() ? "" : "**"));
        line("");
        if (!h.verification().intact()) {
            line("> **THE LEDGER'S HASH CHAIN IS BROKEN.** " + markdown(ReportText.verification(r)));
            line("");
        }

        AccessReview.Summary s = r.summary();
        line("## Summary");
        line("");
        line("| | |");
        line("|---|---|");
        row("Credentials in the period", Long.toString(s.credentials()));
        row("Issued", Long.toString(s.issued()));
        row("Distinct requesters", Integer.toString(s.requesters()));
        row("Distinct approvers", Integer.toString(s.approvers()));
        row("Distinct targets", Integer.toString(s.targets()));
        for (Map.Entry<String, Long> e : s.ended().entrySet()) {
            row("Ended: " + markdown(e.getKey()), Long.toString(e.getValue()));
        }
        row("Still open at the period's end", Long.toString(s.openAtEnd()));
        line("");
        line("| Target | Access-hours in the period |");
        line("|---|---:|");
        s.hoursByTarget().forEach((t, hours) -> line("| " + markdown(t) + " | " + ReportText.hours(hours) + " |"));
        line("");

        AccessReview.Timeline t = r.timeline();
        line("## Timeline");
        line("");
        if (t.paginated()) {
            line("The period has " + t.total() + " credentials, more than " + t.rows() + " per page: this is page "
                    + t.page() + " of " + t.pages() + " (credentials in request order). Use `--page` for the others, or"
                    + " narrow with `--target`, `--requester` or a shorter period.");
            line("");
        }
        line("| Target | Requester | Credential | Approver | Reason | Access |");
        line("|---|---|---|---|---|---|");
        for (AccessReview.Lane lane : t.lanes()) {
            for (ReviewCredential c : lane.credentials()) {
                line("| " + markdown(lane.target()) + " | " + markdown(lane.requester()) + " | " + c.id() + " | "
                        + markdown(ReportText.orNone(c.approver())) + " | " + markdown(ReportText.orNone(c.reason()))
                        + " | " + markdown(ReportText.interval(c, h.periodEnd())) + " |");
            }
        }
        line("");

        line("## Findings");
        line("");
        for (AccessReview.Finding f : r.findings()) {
            line("### " + markdown(f.title()) + (f.present() ? " — " + f.count() + " credential(s)" : " — none"));
            line("");
            line("Rule: " + markdown(f.rule()) + ".");
            line("");
            if (!f.pairs().isEmpty()) {
                line("| Approver | Requester | Approvals |");
                line("|---|---|---:|");
                for (AccessReview.Pair p : f.pairs()) {
                    line("| " + markdown(p.approver()) + " | " + markdown(p.requester()) + " | " + p.approvals() + " |");
                }
                line("");
            }
            if (!f.listed().isEmpty()) {
                if (f.listed().size() < f.count()) {
                    line("The first " + f.listed().size() + " of " + f.count() + " are listed.");
                    line("");
                }
                line("| Credential | Requester | Target | Approver | Reason | Access | Why |");
                line("|---|---|---|---|---|---|---|");
                for (AccessReview.Flagged fl : f.listed()) {
                    ReviewCredential c = fl.credential();
                    line("| " + c.id() + " | " + markdown(c.requester()) + " | " + markdown(c.target()) + " | "
                            + markdown(ReportText.orNone(c.approver())) + " | " + markdown(ReportText.orNone(c.reason()))
                            + " | " + markdown(ReportText.interval(c, h.periodEnd())) + " | " + markdown(fl.why()) + " |");
                }
                line("");
            }
        }
        line("Disabled roles: " + markdown(h.roleCheck()) + ".");
        line("");
        line("## Sign-off");
        line("");
        line("| | |");
        line("|---|---|");
        line("| Reviewer | |");
        line("| Date | |");
        line("| Decision | ☐ access appropriate ☐ exceptions noted below ☐ access to be removed |");
        line("| Notes | |");
        line("| Signature | |");
        out.write(b.toString());
    }

    private void row(String k, String v) {
        line("| " + k + " | " + v + " |");
    }

    private void line(String s) {
        b.append(s).append('\n');
    }
}
