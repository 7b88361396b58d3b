package io.pgephemeral.broker;

import java.time.Instant;

/**
 * A temporary login to create.
 *
 * @param roleName        the new role's name
 * @param scramVerifier   the password's SCRAM-SHA-256 verifier; the password itself never goes here
 * @param validUntil      when password logins stop working
 * @param target          whose roles to grant
 * @param connectionLimit the role's CONNECTION LIMIT
 */
public record NewLogin(String roleName, String scramVerifier, Instant validUntil, Target target, int connectionLimit) {

    /** The verifier can be attacked offline, so it stays out of logs too. */
    @Override
    public String toString() {
        return "NewLogin[" + roleName + ", validUntil=" + validUntil + ", target=" + target.name() + "]";
    }
}
