package io.pgephemeral.broker;

/**
 * Where a requester picks up an issued credential: one secret per requester and target, readable
 * by that requester only.
 */
public interface CredentialStore {

    /** The name of the secret that holds {@code requester}'s credential for {@code target}. */
    String nameFor(String requester, String target);

    /**
     * Writes the credential, replacing whatever the requester's secret for that target held.
     *
     * @param idempotencyToken the same token for a retry of the same attempt, so a retried write
     *                         does not create a second version
     */
    StoredSecret store(IssuedCredential credential, String idempotencyToken);

    /**
     * Deletes the secret, with no recovery window, if it still holds the credential of
     * {@code roleName}; a newer credential of the same requester and target is left in place.
     */
    SecretRemoval remove(String secretName, String roleName);

    /**
     * Sets up whatever the first call needs (an SDK client), so that a SnapStart snapshot holds
     * it ready. Touches no secret.
     */
    default void prepare() {
    }
}
