package io.pgephemeral.broker;

import java.util.List;
import java.util.UUID;

/**
 * What a deescalation did.
 *
 * @param removed  each credential that was ended
 * @param message  a sentence for people, e.g. that there was nothing to end
 * @param failures one line per credential that could not be ended
 */
public record Deescalated(List<Removed> removed, String message, List<String> failures) {

    /**
     * @param credentialId       the ledger's id of the credential
     * @param roleName           the temporary login
     * @param role               what happened to the role
     * @param sessionsTerminated open sessions that were ended
     * @param secret             what happened to the secret
     */
    public record Removed(UUID credentialId, String roleName, RoleRemoval.Outcome role, int sessionsTerminated,
                          SecretRemoval secret) {
    }
}
