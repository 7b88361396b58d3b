package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;

import java.io.IOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.pgephemeral.database.Timestamps.utc;

/**
 * Every event of the ledger, in recording order, as CSV (RFC 4180), one JSON array, or NDJSON. It
 * streams: rows come through a cursor {@link #FETCH_SIZE} at a time and go straight to the writer,
 * so a ledger of any length exports in constant memory. Values are exact: timestamps in ISO-8601
 * UTC with PostgreSQL's microseconds, SQL NULL as an empty CSV field or JSON null, hashes as stored,
 * so that an export can be verified again (docs/auditors-and-requesters.md).
 */
public final class LedgerExport {

    public static final int FETCH_SIZE = 1000;

    public static final List<String> COLUMNS = List.of("seq", "credential_id", "run_id", "attempt", "event",
            "recorded_at", "requester", "approver", "reason", "target", "role_name", "secret_id", "valid_until",
            "actor", "detail", "prev_hash", "hash");

    public enum Format {
        CSV, JSON, NDJSON;

        public static Format of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /** How CSV cells are written: as stored, or with spreadsheet formulas neutralised. */
    public enum CsvCells { NEUTRALISED, RAW }

    private final LedgerTable table;
    private final CsvCells cells;

    /** Exports with CSV cells neutralised, the safe default for files people open in spreadsheets. */
    public LedgerExport(LedgerTable table) {
        this(table, CsvCells.NEUTRALISED);
    }

    public LedgerExport(LedgerTable table, CsvCells cells) {
        this.table = table;
        this.cells = cells;
    }

    /** Writes the events recorded in [since, until) (either may be null) and returns how many. */
    public long write(Connection c, Format format, @Nullable Instant since, @Nullable Instant until, Writer out)
            throws SQLException, IOException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false); // without a transaction pgjdbc would read the whole result into memory
        try (PreparedStatement p = c.prepareStatement("SELECT * FROM " + table.auditEvents()
                + " WHERE recorded_at >= coalesce(?, '-infinity'::timestamptz)"
                + " AND recorded_at < coalesce(?, 'infinity'::timestamptz) ORDER BY seq")) {
            p.setFetchSize(FETCH_SIZE);
            p.setObject(1, utc(since));
            p.setObject(2, utc(until));
            try (ResultSet r = p.executeQuery()) {
                return switch (format) {
                    case CSV -> csv(r, out);
                    case JSON -> json(r, out, true);
                    case NDJSON -> json(r, out, false);
                };
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
    }

    private long csv(ResultSet r, Writer out) throws SQLException, IOException {
        out.write(String.join(",", COLUMNS));
        out.write("\r\n");
        long rows = 0;
        while (r.next()) {
            Map<String, Object> row = row(LedgerTable.entry(r));
            boolean first = true;
            for (Object value : row.values()) {
                if (!first) {
                    out.write(',');
                }
                first = false;
                out.write(csvField(value, cells));
            }
            out.write("\r\n");
            rows++;
        }
        out.flush();
        return rows;
    }

    private long json(ResultSet r, Writer out, boolean array) throws SQLException, IOException {
        long rows = 0;
        if (array) {
            out.write('[');
        }
        while (r.next()) {
            if (array && rows > 0) {
                out.write(',');
            }
            if (array) {
                out.write('\n');
            }
            out.write(jsonObject(row(LedgerTable.entry(r))));
            if (!array) {
                out.write('\n');
            }
            rows++;
        }
        if (array) {
            out.write(rows > 0 ? "\n]\n" : "]\n");
        }
        out.flush();
        return rows;
    }

    /** One event as column name to value; timestamps as ISO-8601 strings. */
    public static Map<String, Object> row(LedgerEntry e) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("seq", e.seq());
        row.put("credential_id", e.credentialId().toString());
        row.put("run_id", e.runId());
        row.put("attempt", e.attempt());
        row.put("event", e.event());
        row.put("recorded_at", e.recordedAt().toString());
        row.put("requester", e.requester());
        row.put("approver", e.approver());
        row.put("reason", e.reason());
        row.put("target", e.target());
        row.put("role_name", e.roleName());
        row.put("secret_id", e.secretId());
        row.put("valid_until", e.validUntil().toString());
        row.put("actor", e.actor());
        row.put("detail", e.detail());
        row.put("prev_hash", e.prevHash());
        row.put("hash", e.hash());
        return row;
    }

    /**
     * OWASP's rule for CSV injection: a cell starting with one of these is a formula to a
     * spreadsheet ({@code =HYPERLINK(...)} in a reason becomes a live link), so it gets a leading
     * single quote, which spreadsheets read as "text". Then RFC 4180 quoting as usual.
     */
    private static final String FORMULA_STARTS = "=+-@\t\r";

    /**
     * RFC 4180: a field with a comma, quote, CR or LF is quoted and its quotes doubled; an empty
     * string is quoted too, so that it stays distinct from NULL (an empty field).
     */
    static String csvField(@Nullable Object value, CsvCells cells) {
        if (value == null) {
            return "";
        }
        String s = value.toString();
        if (cells == CsvCells.NEUTRALISED && !s.isEmpty() && FORMULA_STARTS.indexOf(s.charAt(0)) >= 0) {
            s = "'" + s;
        }
        if (s.isEmpty() || s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    /** A flat JSON object, every key present (null as null), in column order. */
    static String jsonObject(Map<String, Object> row) {
        StringBuilder b = new StringBuilder(512).append('{');
        boolean first = true;
        for (Map.Entry<String, Object> field : row.entrySet()) {
            if (!first) {
                b.append(',');
            }
            first = false;
            jsonString(b, field.getKey());
            b.append(':');
            Object v = field.getValue();
            if (v == null) {
                b.append("null");
            } else if (v instanceof Number) {
                b.append(v);
            } else {
                jsonString(b, v.toString());
            }
        }
        return b.append('}').toString();
    }

    /** RFC 8259 string: quote, backslash and control characters escaped; everything else as is. */
    private static void jsonString(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        b.append('"');
    }

}
