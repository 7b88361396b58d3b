package io.pgephemeral.secrets;

import java.util.regex.Pattern;

/**
 * Secret names: {@code <prefix><requester>/<target>}, e.g.
 * {@code pg-ephemeral/jane.doe@acme.example/readonly}. A requester finds their secret from what
 * they know, and IAM can scope by name prefix. Characters Secrets Manager does not allow in names
 * become {@code _}; the exact requester is also in the secret's tags, which decide who may read it.
 */
public final class SecretNames {

    /** Secrets Manager allows letters, digits and /_+=.@- in names. */
    private static final Pattern NOT_ALLOWED = Pattern.compile("[^A-Za-z0-9_+=.@-]");
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9/_+=.@-]{0,200}");

    private final String prefix;

    public SecretNames(String prefix) {
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("secret prefix '" + prefix
                    + "' may only use letters, digits and /_+=.@- (at most 200)");
        }
        this.prefix = prefix;
    }

    public String of(String requester, String target) {
        return prefix + NOT_ALLOWED.matcher(requester).replaceAll("_") + "/" + NOT_ALLOWED.matcher(target).replaceAll("_");
    }

    public String prefix() {
        return prefix;
    }
}
