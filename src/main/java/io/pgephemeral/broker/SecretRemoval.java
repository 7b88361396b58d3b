package io.pgephemeral.broker;

/** What removing a secret did. */
public enum SecretRemoval {
    DELETED,
    ABSENT,
    /** The secret now holds another (newer) credential of the same requester and target. */
    KEPT_FOR_NEWER,
    /** A failed write was undone: the secret holds the credential it held before it again. */
    RESTORED
}
