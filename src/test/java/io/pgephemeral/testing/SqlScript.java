package io.pgephemeral.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the plain SQL scripts in {@code schema/setup}: statements end with {@code ;} at the end of a
 * line, {@code --} starts a comment, and lines starting with {@code \} (psql commands) are skipped.
 * The scripts are written to that rule, so tests and demo run exactly what docs/operators.md tells users to run.
 */
public final class SqlScript {

    private SqlScript() {
    }

    public static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inBody = false; // inside a $$-quoted body (a DO block), whose lines end in ';' too
        for (String line : script.split("\n")) {
            String trimmed = line.strip();
            if (!inBody && (trimmed.isEmpty() || trimmed.startsWith("--") || trimmed.startsWith("\\"))) {
                continue;
            }
            current.append(line).append('\n');
            if (line.split("\\$\\$", -1).length % 2 == 0) {
                inBody = !inBody;
            }
            if (!inBody && trimmed.endsWith(";")) {
                out.add(current.toString().strip());
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            out.add(current.toString().strip());
        }
        return out;
    }

    public static void run(Connection connection, String script) throws SQLException {
        try (Statement s = connection.createStatement()) {
            for (String statement : statements(script)) {
                s.execute(statement);
            }
        }
    }
}
