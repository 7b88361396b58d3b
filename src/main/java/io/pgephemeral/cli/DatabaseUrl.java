package io.pgephemeral.cli;

import java.util.Locale;

/**
 * Where a JDBC URL points, for people: {@code host:port/database}, never the user, password or
 * any other parameter (a URL may carry {@code user:password@} or {@code ?password=}).
 */
final class DatabaseUrl {

    private DatabaseUrl() {
    }

    /** {@code db.example.com:5432/app}; "unknown" when there is no URL. */
    static String describe(String jdbcUrl) {
        if (jdbcUrl == null) {
            return "unknown";
        }
        String database = database(jdbcUrl);
        return cluster(jdbcUrl) + (database.isEmpty() ? "" : "/" + database);
    }

    /** The server(s) part, lower-cased, with the default port made explicit. */
    static String cluster(String jdbcUrl) {
        if (jdbcUrl == null) {
            return "";
        }
        String rest = withoutScheme(jdbcUrl);
        if (!rest.startsWith("//")) {
            return "localhost:5432";
        }
        String authority = rest.substring(2);
        int end = firstOf(authority, "/?#");
        authority = authority.substring(0, end);
        authority = authority.substring(authority.lastIndexOf('@') + 1); // drop user:password@
        StringBuilder out = new StringBuilder();
        for (String host : authority.split(",")) {
            if (out.length() > 0) {
                out.append(',');
            }
            String h = host.isEmpty() ? "localhost" : host;
            boolean hasPort = h.startsWith("[") ? h.contains("]:") : h.contains(":");
            out.append(h.toLowerCase(Locale.ROOT)).append(hasPort ? "" : ":5432");
        }
        return out.toString();
    }

    private static String database(String jdbcUrl) {
        String rest = withoutScheme(jdbcUrl);
        if (rest.startsWith("//")) {
            int slash = firstOf(rest.substring(2), "/?#");
            rest = slash + 2 < rest.length() && rest.charAt(slash + 2) == '/' ? rest.substring(slash + 3) : "";
        }
        return rest.substring(0, firstOf(rest, "?#;"));
    }

    private static String withoutScheme(String jdbcUrl) {
        String prefix = "jdbc:postgresql:";
        return jdbcUrl.startsWith(prefix) ? jdbcUrl.substring(prefix.length()) : jdbcUrl;
    }

    private static int firstOf(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }
}
