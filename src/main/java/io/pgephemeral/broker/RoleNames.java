package io.pgephemeral.broker;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

/**
 * Names temporary roles from a template such as {@code eph_{requester}_{suffix}}: a readable part
 * of the requester (the email's local part, reduced to {@code [a-z0-9_]}), the target, and a random
 * suffix that makes every name new. Names are plain lower-case ASCII of at most 63 bytes, so
 * PostgreSQL never truncates them, and never start with the reserved {@code pg_}.
 */
public final class RoleNames {

    private static final int MAX_BYTES = 63;
    private static final int SUFFIX_LENGTH = 10;
    private static final String SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
    private static final Pattern PLAIN = Pattern.compile("[a-z_][a-z0-9_]*");
    private static final Pattern NOT_PLAIN = Pattern.compile("[^a-z0-9]+");

    private final String template;
    private final IntFunction<byte[]> random;

    /**
     * @param template the name template; must contain {suffix}
     * @param random   source of random bytes for the suffix
     */
    public RoleNames(String template, IntFunction<byte[]> random) {
        if (!template.contains("{suffix}")) {
            throw new IllegalArgumentException("role template '" + template + "' must contain {suffix}");
        }
        String sample = template.replace("{requester}", "a").replace("{target}", "a")
                .replace("{suffix}", "a".repeat(SUFFIX_LENGTH));
        if (!PLAIN.matcher(sample).matches() || template.startsWith("{") || template.startsWith("pg_")
                || sample.length() > MAX_BYTES - 2) {
            throw new IllegalArgumentException("role template '" + template + "' must start with a letter and"
                    + " produce plain lower-case names (a-z, 0-9, _) not starting with pg_");
        }
        this.template = template;
        this.random = random;
    }

    public String next(String requester, String target) {
        String suffix = suffix();
        String fixed = template.replace("{suffix}", suffix);
        int room = MAX_BYTES - fixed.replace("{requester}", "").replace("{target}", "").length();
        String targetPart = readable(target, Math.min(16, room / 2));
        if (fixed.contains("{target}")) {
            room -= targetPart.length();
        }
        String requesterPart = readable(localPart(requester), Math.max(1, room));
        String name = fixed.replace("{requester}", requesterPart).replace("{target}", targetPart);
        if (name.getBytes(StandardCharsets.US_ASCII).length > MAX_BYTES || !PLAIN.matcher(name).matches()) {
            throw new IllegalStateException("role template produced an unusable name");
        }
        return name;
    }

    private String suffix() {
        byte[] bytes = random.apply(SUFFIX_LENGTH);
        StringBuilder out = new StringBuilder(SUFFIX_LENGTH);
        for (byte b : bytes) {
            out.append(SUFFIX_ALPHABET.charAt((b & 0xff) % SUFFIX_ALPHABET.length()));
        }
        return out.toString();
    }

    private static String localPart(String requester) {
        int at = requester.indexOf('@');
        return at > 0 ? requester.substring(0, at) : requester;
    }

    /** Lower case, runs of anything else become one {@code _}, trimmed to {@code max}. */
    static String readable(String text, int max) {
        String plain = NOT_PLAIN.matcher(text.toLowerCase(Locale.ROOT)).replaceAll("_");
        plain = plain.replaceAll("^_+|_+$", "");
        if (plain.isEmpty()) {
            plain = "user";
        }
        if (plain.length() > max) {
            plain = plain.substring(0, max).replaceAll("_+$", "");
        }
        return plain.isEmpty() ? "u" : plain;
    }
}
