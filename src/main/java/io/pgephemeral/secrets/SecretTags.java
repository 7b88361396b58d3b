package io.pgephemeral.secrets;

import io.pgephemeral.broker.IssuedCredential;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tags on every issued secret. {@code pg-ephemeral:requester} is what the requesters' IAM policy
 * compares with the caller's identity; {@code pg-ephemeral:created-by} marks the secrets the broker
 * made (the deployment lets no one else set it), which are the only ones it writes into;
 * {@code pg-ephemeral:role} and {@code pg-ephemeral:expires-at} describe the credential the secret
 * holds, for people (which credential it holds is decided by its current version), and the
 * {@code previous-} pair what it held before a replacement, so that a failed replacement can be
 * undone completely.
 */
public final class SecretTags {

    public static final String REQUESTER = "pg-ephemeral:requester";
    public static final String TARGET = "pg-ephemeral:target";
    public static final String EXPIRES_AT = "pg-ephemeral:expires-at";
    public static final String ROLE = "pg-ephemeral:role";
    public static final String CREATED_BY = "pg-ephemeral:created-by";
    public static final String PREVIOUS_ROLE = "pg-ephemeral:previous-role";
    public static final String PREVIOUS_EXPIRES_AT = "pg-ephemeral:previous-expires-at";
    /** The value of {@link #CREATED_BY}. */
    public static final String BROKER = "pg-ephemeral";

    private SecretTags() {
    }

    public static Map<String, String> of(IssuedCredential credential) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(REQUESTER, credential.requester());
        tags.put(TARGET, credential.target());
        tags.put(EXPIRES_AT, credential.expiresAt().toString());
        tags.put(ROLE, credential.roleName());
        tags.put(CREATED_BY, BROKER);
        return tags;
    }

    /**
     * The secret's value: the RDS secret shape that drivers and tools already understand, plus
     * {@code expires_at}.
     */
    public static Map<String, Object> value(IssuedCredential credential) {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("engine", "postgres");
        value.put("host", credential.endpoint().host());
        value.put("port", credential.endpoint().port());
        value.put("dbname", credential.endpoint().database());
        value.put("username", credential.roleName());
        value.put("password", credential.password().reveal());
        value.put("expires_at", credential.expiresAt().toString());
        value.put("target", credential.target());
        return value;
    }
}
