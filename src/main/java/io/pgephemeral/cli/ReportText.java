package io.pgephemeral.cli;

import io.pgephemeral.config.Durations;
import io.pgephemeral.ledger.AccessReview;
import io.pgephemeral.ledger.ReviewCredential;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * What the report's three formats say in the same words, and how ledger-derived text is made safe
 * for each. Every string from the ledger (a reason above all: the requester typed it) is data: it
 * is escaped for HTML or Markdown, stripped of line breaks and of the invisible characters that
 * can make text read differently from what it is (bidirectional overrides, zero-width characters).
 */
final class ReportText {

    private static final DateTimeFormatter MINUTES =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm'Z'").withZone(ZoneOffset.UTC);

    private ReportText() {
    }

    /**
     * One line of visible text: control characters and line breaks become spaces, Unicode format
     * characters (bidi overrides and isolates, zero-width joiners) become U+FFFD, so a reviewer
     * sees that something was there.
     */
    static String visible(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            int type = Character.getType(cp);
            if (Character.isISOControl(cp) || cp == 0x2028 || cp == 0x2029) {
                b.append(' ');
            } else if (type == Character.FORMAT || type == Character.SURROGATE || type == Character.PRIVATE_USE
                    || type == Character.UNASSIGNED) {
                b.append('\uFFFD');
            } else {
                b.appendCodePoint(cp);
            }
        }
        return b.toString();
    }

    /** Text for HTML element content and quoted attribute values. */
    static String html(String s) {
        String v = visible(s);
        StringBuilder b = new StringBuilder(v.length() + 16);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Text for Markdown (CommonMark and GitHub's tables): every ASCII punctuation character that
     * could start markup is backslash-escaped, so no link, image, emphasis, code span or table cell
     * can begin inside it, and {@code < > &} become entities, so no HTML can either.
     */
    static String markdown(String s) {
        String v = visible(s);
        StringBuilder b = new StringBuilder(v.length() + 16);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '-', '.', '!', '|', '~', '"', '\'',
                        ':', '=', '$', '%', '^', '@', ';', '/', '?' -> b.append('\\').append(c);
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String time(Instant at) {
        return at == null ? "" : MINUTES.format(at);
    }

    static String hours(double h) {
        return String.format(Locale.ROOT, "%,.1f", h);
    }

    static String duration(Duration d) {
        return Durations.format(d);
    }

    static String period(AccessReview r) {
        return time(r.settings().since()) + " to " + time(r.settings().until())
                + (r.header().periodEnd().isBefore(r.settings().until()) ? " (seen up to " + time(r.header().periodEnd()) + ")" : "");
    }

    static String scope(AccessReview r) {
        String t = r.settings().target();
        String q = r.settings().requester();
        if (t == null && q == null) {
            return "all targets and requesters";
        }
        return (t == null ? "all targets" : "target " + t) + ", " + (q == null ? "all requesters" : "requester " + q);
    }

    static String head(AccessReview r) {
        AccessReview.Head h = r.header().head();
        return h == null ? "empty ledger" : "seq " + h.seq() + ", hash " + h.hash();
    }

    /** The chain's state, plainly; the first sentence says whether it holds. */
    static String verification(AccessReview r) {
        AccessReview.Verification v = r.header().verification();
        String before = v.unchained() == 0 ? "" : " " + v.unchained() + " earlier row(s) predate the chain and are not covered.";
        if (v.intact()) {
            return "intact: " + v.verified() + " chained row(s) verified from the first row to the newest, every event"
                    + " of this period included." + before;
        }
        String effect = switch (v.where()) {
            case "after" -> "The break is after this period; the period's events verified intact.";
            case "within" -> "The break is within this period: its events from seq " + v.brokenSeq()
                    + " on are NOT verified and may have been altered.";
            default -> "The break is before this period: NONE of this period's events are verified.";
        };
        return "BROKEN at seq " + v.brokenSeq() + (v.brokenAt() == null ? "" : " (recorded " + time(v.brokenAt()) + ")")
                + ": " + v.problem() + ". " + v.verified() + " chained row(s) intact before it. " + effect + before;
    }

    /** How the credential's time shows on the timeline. */
    static String interval(ReviewCredential c, Instant periodEnd) {
        if (c.issuedAt() == null) {
            return "requested " + time(c.requestedAt()) + ", never issued (" + c.state() + ")";
        }
        String end = c.endedAt() == null ? "still open"
                : c.endedAt().isAfter(periodEnd) ? "open at the period's end; " + c.state() + " " + time(c.endedAt())
                : c.state() + " " + time(c.endedAt());
        return "issued " + time(c.issuedAt()) + ", " + end + "; valid until " + time(c.validUntil());
    }

    static String orNone(String s) {
        return s == null || s.isEmpty() ? "(none)" : s;
    }
}
