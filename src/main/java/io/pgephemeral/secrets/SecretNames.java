package io.pgephemeral.secrets;

import io.pgephemeral.broker.RequestRefused;

import java.util.regex.Pattern;

/**
 * Secret names: {@code <prefix><requester>/<target>}, e.g.
 * {@code pg-ephemeral/jane.doe@acme.example/readonly}. A requester finds their secret from what
 * they know, and IAM can scope by name prefix.
 *
 * <p>The requester and the target go into the name exactly as they are, never rewritten: a name
 * then belongs to one requester and one target only (the target has no {@code /}, so the last
 * {@code /} splits them). What Secrets Manager could not carry, or what would blur that split, is
 * refused instead: a requester must be {@code local@domain} with only letters, digits and
 * {@code . _ + = -} in the local part (no {@code /}), letters, digits, {@code .} and {@code -} in
 * the domain, and at most {@value #MAX_REQUESTER} characters (a tag value holds 256); the whole
 * name at most {@value #MAX_NAME} characters. Before, characters outside Secrets Manager's set
 * became {@code _}, so {@code jane/doe@b.example} was given {@code jane_doe@b.example}'s secret.
 */
public final class SecretNames {

    /** CreateSecret's limit on Name. */
    public static final int MAX_NAME = 512;
    /** RFC 5321's longest address; also below the 256 characters of the requester's tag value. */
    public static final int MAX_REQUESTER = 254;

    private static final Pattern REQUESTER = Pattern.compile("[A-Za-z0-9._+=-]+@[A-Za-z0-9.-]+");
    private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9/_+=.@-]{0,200}");

    private final String prefix;

    public SecretNames(String prefix) {
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("secret prefix '" + prefix
                    + "' may only use letters, digits and /_+=.@- (at most 200)");
        }
        this.prefix = prefix;
    }

    /** The name, or a refusal that says which limit the requester or target breaks. */
    public String of(String requester, String target) {
        if (!REQUESTER.matcher(requester).matches()) {
            throw new RequestRefused("requester '" + shown(requester) + "' cannot be part of a secret name: an email"
                    + " address may use only letters, digits and . _ + = - before the @ (and letters, digits, . and -"
                    + " after it) here, so that no two requesters share a secret");
        }
        if (requester.length() > MAX_REQUESTER) {
            throw new RequestRefused("requester is " + requester.length() + " characters long; a secret name and its"
                    + " tag take at most " + MAX_REQUESTER);
        }
        if (!TARGET.matcher(target).matches()) {
            throw new RequestRefused("target '" + shown(target) + "' cannot be part of a secret name");
        }
        String name = prefix + requester + "/" + target;
        if (name.length() > MAX_NAME) {
            throw new RequestRefused("the secret name for this requester and target would be " + name.length()
                    + " characters; Secrets Manager allows " + MAX_NAME + " (shorten BROKER_SECRET_PREFIX or the"
                    + " target's name)");
        }
        return name;
    }

    public String prefix() {
        return prefix;
    }

    private static String shown(String s) {
        String oneLine = s.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() <= 64 ? oneLine : oneLine.substring(0, 64) + "...";
    }
}
