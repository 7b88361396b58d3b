package io.pgephemeral.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** Small helpers for what people read: aligned tables, times in UTC, error lines. */
final class Text {

    private static final DateTimeFormatter SECONDS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private Text() {
    }

    /** An instant for people: seconds, UTC, marked Z; empty for none. */
    static String time(Instant at) {
        return at == null ? "" : SECONDS.format(at);
    }

    static String orEmpty(Object o) {
        return o == null ? "" : o.toString();
    }

    /**
     * Reads a time given on the command line: {@code 2026-11-23} (midnight UTC),
     * {@code 2026-11-23T10:00:00Z} or with an offset, {@code 2026-11-23T10:00:00+01:00}.
     */
    static Instant parseTime(String option, String value) {
        try {
            if (value.length() == 10) {
                return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw new LedgerLogin.Unusable(option + " '" + value + "' is not a date (2026-11-23) or a time with"
                    + " its offset (2026-11-23T10:00:00Z)");
        }
    }

    /** Columns padded to their widest cell; line breaks inside a cell shown as spaces. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            rows.add(header);
        }

        void add(Object... cells) {
            String[] row = new String[cells.length];
            for (int i = 0; i < cells.length; i++) {
                row[i] = orEmpty(cells[i]).replaceAll("[\\r\\n\\t]+", " ");
            }
            rows.add(row);
        }

        int size() {
            return rows.size() - 1;
        }

        void print(PrintStream out) {
            int columns = rows.get(0).length;
            int[] width = new int[columns];
            for (String[] row : rows) {
                for (int i = 0; i < columns; i++) {
                    width[i] = Math.max(width[i], row[i].codePointCount(0, row[i].length()));
                }
            }
            for (String[] row : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < columns; i++) {
                    line.append(row[i]);
                    if (i < columns - 1) {
                        line.append(" ".repeat(width[i] - row[i].codePointCount(0, row[i].length()) + 2));
                    }
                }
                out.println(line.toString().stripTrailing());
            }
        }
    }
}
