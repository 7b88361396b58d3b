package io.pgephemeral.cli;

import io.pgephemeral.ledger.AccessReview;
import io.pgephemeral.ledger.ReviewCredential;

import java.io.IOException;
import java.io.Writer;
import java.time.Instant;
import java.util.Map;

/**
 * The access review as one JSON object, for pipelines: the same content as the HTML, values
 * exact (times ISO-8601 UTC, durations in seconds). Strings are escaped per RFC 8259, and
 * {@code < > &} and the line and paragraph separators as {@code \\u} escapes too, so the document
 * stays inert if someone pastes it into a web page.
 */
final class ReportJson {

    private final AccessReview r;
    private final StringBuilder b = new StringBuilder(1 << 16);

    ReportJson(AccessReview review) {
        this.r = review;
    }

    void write(Writer out) throws IOException {
        AccessReview.Header h = r.header();
        AccessReview.Verification v = h.verification();
        b.append("{\n\"report\":\"pg-ephemeral access review\",\n\"header\":{");
        field("database", h.database()).append(',');
        field("ledger", h.ledger()).append(',');
        field("since", r.settings().since()).append(',');
        field("until", r.settings().until()).append(',');
        field("period_end", h.periodEnd()).append(',');
        field("generated_at", h.generatedAt()).append(',');
        field("target", r.settings().target()).append(',');
        field("requester", r.settings().requester()).append(',');
        key("head");
        if (h.head() == null) {
            b.append("null");
        } else {
            b.append('{');
            field("seq", h.head().seq()).append(',');
            field("hash", h.head().hash()).append('}');
        }
        b.append(",\n");
        key("verify").append('{');
        field("intact", v.intact()).append(',');
        field("verified_rows", v.verified()).append(',');
        field("unchained_rows", v.unchained()).append(',');
        field("broken_seq", v.brokenSeq()).append(',');
        field("broken_recorded_at", v.brokenAt()).append(',');
        field("break_relative_to_period", v.where()).append(',');
        field("period_affected", v.periodAffected()).append(',');
        field("problem", v.problem()).append(',');
        field("statement", ReportText.verification(r)).append("},\n");
        field("role_check", h.roleCheck()).append("},\n");

        b.append("\"thresholds\":{");
        field("max_ttl_seconds", r.settings().maxTtl().getSeconds()).append(',');
        field("near_max_ttl_percent", Math.round(r.settings().nearMaxTtl() * 100)).append(',');
        field("approvals_per_pair", r.settings().approvalsPerPair()).append(',');
        field("working_hours", r.settings().workingHours().describe()).append(',');
        field("off_hours_grace_seconds", r.settings().offHoursGrace().getSeconds()).append(',');
        field("overdue_grace_seconds", r.settings().overdueGrace().getSeconds()).append(',');
        field("rows", r.settings().rows()).append("},\n");

        AccessReview.Summary s = r.summary();
        b.append("\"summary\":{");
        field("credentials", s.credentials()).append(',');
        field("issued", s.issued()).append(',');
        field("requesters", s.requesters()).append(',');
        field("approvers", s.approvers()).append(',');
        field("targets", s.targets()).append(',');
        key("access_hours_by_target").append('{');
        boolean first = true;
        for (Map.Entry<String, Double> e : s.hoursByTarget().entrySet()) {
            if (!first) {
                b.append(',');
            }
            first = false;
            field(e.getKey(), Math.round(e.getValue() * 100) / 100.0);
        }
        b.append("},");
        key("ended").append('{');
        first = true;
        for (Map.Entry<String, Long> e : s.ended().entrySet()) {
            if (!first) {
                b.append(',');
            }
            first = false;
            field(e.getKey(), e.getValue());
        }
        b.append("},");
        field("open_at_period_end", s.openAtEnd()).append("},\n");

        AccessReview.Timeline t = r.timeline();
        b.append("\"timeline\":{");
        field("from", t.from()).append(',');
        field("to", t.to()).append(',');
        field("credentials", t.total()).append(',');
        field("page", t.page()).append(',');
        field("pages", t.pages()).append(',');
        field("rows_per_page", t.rows()).append(',');
        key("lanes").append('[');
        first = true;
        for (AccessReview.Lane lane : t.lanes()) {
            b.append(first ? "\n" : ",\n");
            first = false;
            b.append('{');
            field("target", lane.target()).append(',');
            field("requester", lane.requester()).append(',');
            key("credentials").append('[');
            for (int i = 0; i < lane.credentials().size(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                credential(lane.credentials().get(i), null);
            }
            b.append("]}");
        }
        b.append("],");
        field("bucket_seconds", t.bucket().getSeconds()).append(',');
        key("overview").append('[');
        for (int i = 0; i < t.overview().size(); i++) {
            AccessReview.TargetLoad load = t.overview().get(i);
            b.append(i == 0 ? "\n" : ",\n").append('{');
            field("target", load.target()).append(',');
            key("access_hours").append('[');
            for (int j = 0; j < load.hours().length; j++) {
                b.append(j == 0 ? "" : ",").append(Math.round(load.hours()[j] * 100) / 100.0);
            }
            b.append("]}");
        }
        b.append("]},\n\"findings\":[");
        first = true;
        for (AccessReview.Finding f : r.findings()) {
            b.append(first ? "\n" : ",\n");
            first = false;
            b.append('{');
            field("id", f.id()).append(',');
            field("title", f.title()).append(',');
            field("rule", f.rule()).append(',');
            field("present", f.present()).append(',');
            field("count", f.count()).append(',');
            field("listed", f.listed().size()).append(',');
            key("pairs").append('[');
            for (int i = 0; i < f.pairs().size(); i++) {
                AccessReview.Pair p = f.pairs().get(i);
                b.append(i == 0 ? "" : ",").append('{');
                field("approver", p.approver()).append(',');
                field("requester", p.requester()).append(',');
                field("approvals", p.approvals()).append('}');
            }
            b.append("],");
            key("credentials").append('[');
            for (int i = 0; i < f.listed().size(); i++) {
                b.append(i == 0 ? "\n" : ",\n");
                credential(f.listed().get(i).credential(), f.listed().get(i).why());
            }
            b.append("]}");
        }
        b.append("\n]\n}\n");
        out.write(b.toString());
    }

    private void credential(ReviewCredential c, String why) {
        b.append('{');
        field("credential_id", c.id().toString()).append(',');
        field("requester", c.requester()).append(',');
        field("target", c.target()).append(',');
        field("role_name", c.roleName()).append(',');
        field("approver", c.approver()).append(',');
        field("reason", c.reason()).append(',');
        field("requested_at", c.requestedAt()).append(',');
        field("issued_at", c.issuedAt()).append(',');
        field("valid_until", c.validUntil()).append(',');
        field("state", c.state()).append(',');
        field("ended_at", c.endedAt()).append(',');
        field("ended_by", c.endedAt() == null ? null : c.stateActor()).append(',');
        field("detail", c.stateDetail()).append(',');
        field("open_at_period_end", c.openAt(r.header().periodEnd()));
        if (why != null) {
            b.append(',');
            field("why", why);
        }
        b.append('}');
    }

    private StringBuilder key(String k) {
        string(k);
        return b.append(':');
    }

    private StringBuilder field(String k, Object v) {
        key(k);
        if (v == null) {
            b.append("null");
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Instant at) {
            string(at.toString());
        } else {
            string(v.toString());
        }
        return b;
    }

    private void string(String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
