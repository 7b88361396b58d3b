package io.pgephemeral.broker;

/** What removing a secret did. */
public enum SecretRemoval {
    DELETED,
    ABSENT,
    /** The secret now holds a newer credential of the same requester and target. */
    KEPT_FOR_NEWER
}
