package io.pgephemeral.secrets;

import io.pgephemeral.broker.IssuedCredential;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tags on every issued secret. {@code pg-ephemeral:requester} is what the requesters' IAM policy
 * compares with the caller's identity; {@code pg-ephemeral:role} tells deescalate which
 * credential the secret currently holds.
 */
public final class SecretTags {

    public static final String REQUESTER = "pg-ephemeral:requester";
    public static final String TARGET = "pg-ephemeral:target";
    public static final String EXPIRES_AT = "pg-ephemeral:expires-at";
    public static final String ROLE = "pg-ephemeral:role";

    private SecretTags() {
    }

    public static Map<String, String> of(IssuedCredential credential) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(REQUESTER, credential.requester());
        tags.put(TARGET, credential.target());
        tags.put(EXPIRES_AT, credential.expiresAt().toString());
        tags.put(ROLE, credential.roleName());
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
