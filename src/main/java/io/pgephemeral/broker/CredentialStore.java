package io.pgephemeral.broker;

import java.util.List;

/**
 * Where a requester picks up an issued credential: one secret per requester and target, readable
 * by that requester only.
 *
 * <p>Each write of a credential is a <em>version</em> of the secret, identified by a token that
 * only that escalation attempt uses ({@link Escalation#version}). Which credential a secret holds
 * is the version that is current, never a tag: the value and its version change together, in one
 * call, so a reader of the version can never be told about a value that is not there.
 */
public interface CredentialStore {

    /** The name of the secret that holds {@code requester}'s credential for {@code target}. */
    String nameFor(String requester, String target);

    /**
     * Writes the credential as version {@code version}, replacing whatever the requester's secret
     * for that target held; the value it replaced stays restorable by {@link #withdraw}. Writing the
     * same version again changes nothing. Refuses, writing nothing, to write into a secret that
     * the broker did not make.
     */
    StoredSecret store(IssuedCredential credential, String version);

    /**
     * Ends a credential: deletes the secret, with no recovery window, if it still holds
     * {@code version}; a secret that holds another (newer) credential is left in place.
     */
    SecretRemoval remove(String secretName, String version);

    /**
     * Undoes {@link #store} of an attempt that failed: if the secret holds {@code version}, it gets
     * back the value it held before (the requester's standing credential), or is deleted if it held
     * none. A secret holding anything else is left alone.
     */
    SecretRemoval withdraw(String secretName, String version);

    /** Every secret the broker made, for the sweep to reconcile with the ledger. */
    List<ListedSecret> list();

    /**
     * Sets up whatever the first call needs (an SDK client), so that a SnapStart snapshot holds
     * it ready. Touches no secret.
     */
    default void prepare() {
    }
}
