package io.pgephemeral.cli;

import io.pgephemeral.secrets.RequesterCredential;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A requester's credential in the shapes tools take: a libpq URI, shell variables, a .pgpass line.
 * Each escapes by its own rules, because passwords and database names may hold any character.
 */
final class CredentialFormats {

    private CredentialFormats() {
    }

    /** {@code postgresql://user:password@host:port/dbname}, every part percent-encoded (RFC 3986). */
    static String uri(RequesterCredential c) {
        String host = c.host().contains(":") ? "[" + c.host() + "]" : c.host();
        return "postgresql://" + percent(c.user()) + ":" + percent(c.password().reveal()) + "@" + host + ":" + c.port()
                + "/" + percent(c.database());
    }

    /** The libpq variables, for {@code eval "$(pg-ephemeral creds TARGET --format env)"}. */
    static Map<String, String> variables(RequesterCredential c) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PGHOST", c.host());
        env.put("PGPORT", Integer.toString(c.port()));
        env.put("PGDATABASE", c.database());
        env.put("PGUSER", c.user());
        env.put("PGPASSWORD", c.password().reveal());
        return env;
    }

    /** {@code export NAME='value'} lines, single-quoted for POSIX shells. */
    static String env(RequesterCredential c) {
        StringBuilder out = new StringBuilder();
        variables(c).forEach((k, v) -> out.append("export ").append(k).append('=').append(shellQuote(v)).append('\n'));
        return out.toString();
    }

    /** {@code host:port:database:user:password}, with {@code \} and {@code :} escaped as libpq reads them. */
    static String pgpass(RequesterCredential c) {
        return String.join(":", pgpassField(c.host()), Integer.toString(c.port()), pgpassField(c.database()),
                pgpassField(c.user()), pgpassField(c.password().reveal())) + "\n";
    }

    /** The fields as JSON: host, port, dbname, user, password, expires_at, target. */
    static Map<String, Object> json(RequesterCredential c) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("host", c.host());
        out.put("port", c.port());
        out.put("dbname", c.database());
        out.put("user", c.user());
        out.put("password", c.password().reveal());
        out.put("expires_at", c.expiresAt().toString());
        out.put("target", c.target());
        return out;
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static String pgpassField(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }

    /** Every byte but RFC 3986's unreserved characters as %XX of its UTF-8 encoding. */
    static String percent(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
