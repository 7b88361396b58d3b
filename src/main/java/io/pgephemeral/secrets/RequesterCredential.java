package io.pgephemeral.secrets;

import io.pgephemeral.crypto.Password;

import java.time.Instant;
import java.util.Map;

/**
 * What a requester's secret holds (see {@link SecretTags#value}): where to connect, as whom, and
 * until when. The password prints as {@code [redacted]}, so this record can be logged or shown in
 * an error without leaking it.
 */
public record RequesterCredential(String target, String host, int port, String database, String user,
                                  Password password, Instant expiresAt) {

    /** The secret's JSON value, read; a secret the broker did not write is refused in one line. */
    public static RequesterCredential of(String secretName, Map<String, Object> value) {
        try {
            Object port = value.get("port");
            return new RequesterCredential(
                    text(value, "target"),
                    text(value, "host"),
                    port instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(port)),
                    text(value, "dbname"),
                    text(value, "username"),
                    new Password(text(value, "password")),
                    Instant.parse(text(value, "expires_at")));
        } catch (RuntimeException e) {
            // Never the value itself in the message: it holds the password.
            throw new CredentialUnavailable("secret " + secretName + " is not a pg-ephemeral credential"
                    + " (it lacks host, port, dbname, username, password or expires_at)");
        }
    }

    private static String text(Map<String, Object> value, String key) {
        Object v = value.get(key);
        if (!(v instanceof String s) || s.isEmpty()) {
            if ("target".equals(key)) {
                return "";
            }
            throw new IllegalArgumentException(key);
        }
        return s;
    }

    /** The requester has no usable credential, or may not read it; the message says which. */
    public static final class CredentialUnavailable extends RuntimeException {
        public CredentialUnavailable(String message) {
            super(message);
        }
    }
}
