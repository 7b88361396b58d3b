package io.pgephemeral.secrets;

import io.pgephemeral.secrets.RequesterCredential.CredentialUnavailable;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who the requester is, from the ARN STS GetCallerIdentity returns. Through IAM Identity Center
 * (SSO) that is {@code arn:aws:sts::<account>:assumed-role/AWSReservedSSO_<set>_<id>/<session>},
 * and the session name is the user's sign-in name, normally their email: the same email Sym sends
 * as the requester and the broker writes into the secret's name and tags.
 */
public final class CallerIdentity {

    private static final Pattern ASSUMED_ROLE = Pattern.compile("arn:aws[a-z-]*:sts::\\d{12}:assumed-role/[^/]+/(.+)");

    private CallerIdentity() {
    }

    /** The requester's email from the caller's ARN, or an error that asks for {@code --requester}. */
    public static String requesterOf(String arn) {
        Matcher m = ASSUMED_ROLE.matcher(arn);
        if (m.matches() && m.group(1).contains("@")) {
            return m.group(1);
        }
        throw new CredentialUnavailable("cannot tell your email from your AWS identity " + arn
                + " (not an SSO session named by email): give it with --requester");
    }
}
