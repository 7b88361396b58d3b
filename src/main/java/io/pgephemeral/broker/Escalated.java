package io.pgephemeral.broker;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * What an escalation produced; everything here may be shown to Sym and the requester.
 *
 * @param credentialId   the ledger's id of the credential
 * @param roleName       the temporary login
 * @param secretName     where the requester fetches the password
 * @param secretLocation the secret's ARN, or its file in the local store
 * @param validUntil     when the credential expires
 * @param requested      the duration asked for
 * @param granted        the duration granted (at most the broker's maximum)
 * @param replay         true when this run had already been issued this credential (a retried event)
 */
public record Escalated(
        UUID credentialId,
        String roleName,
        String secretName,
        String secretLocation,
        Instant validUntil,
        Duration requested,
        Duration granted,
        boolean replay) {

    public boolean capped() {
        return granted.compareTo(requested) < 0;
    }
}
