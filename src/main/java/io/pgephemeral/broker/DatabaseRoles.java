package io.pgephemeral.broker;

/**
 * The database side of a credential: create a temporary login, and take it away again. Like
 * Vault's NewUser/DeleteUser, it knows nothing of requests, leases or the ledger.
 */
public interface DatabaseRoles {

    /**
     * Creates the login and grants it the target's roles, all in one transaction: afterwards the
     * role exists completely or not at all.
     *
     * @throws RoleNameTaken when a role of that name already exists (it is never taken over)
     */
    void create(NewLogin login);

    /**
     * Checks, before anything is written, whether each target may be granted: its roles exist and
     * neither they nor any role they reach are superusers, hold CREATEROLE, REPLICATION or
     * BYPASSRLS, or are predefined roles the target did not {@link Target#allowed allow}. Also
     * checks that the configured marker and reassign roles exist and are unprivileged. {@link
     * #create} checks the target and marker again in its own transaction.
     *
     * @return why, in one line, for each refused target's name; the targets that pass are absent
     * @throws BrokerException when the marker or reassign role is unusable, naming the setting
     */
    java.util.Map<String, String> vet(java.util.Collection<Target> targets);

    /**
     * Stops new logins, ends every session of the role and drops it, or, when it cannot be dropped,
     * disables it. Refuses to touch a role the broker did not create.
     */
    RoleRemoval remove(String roleName);

    /**
     * {@link #remove} for many roles in a few statements, for the sweep. Returns the outcome of each
     * role it dropped or found absent. A role that needs individual treatment (it is not the
     * broker's, or owns objects or privileges) is left out of the result and untouched, for
     * {@link #remove} to handle with its own errors.
     */
    java.util.Map<String, RoleRemoval> removeAll(java.util.List<String> roleNames);

    /** Every temporary login that exists now: members of the marker role (the bot excluded). */
    java.util.List<ManagedRole> managedRoles();

    /**
     * Claims the sweep for as long as the returned lease is open; empty when another sweep holds
     * it, so two sweeps never work at once.
     */
    java.util.Optional<AutoCloseable> claimSweep();
}
