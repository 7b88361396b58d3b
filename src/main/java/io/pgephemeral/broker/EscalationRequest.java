package io.pgephemeral.broker;

import io.micronaut.core.annotation.Nullable;

import java.time.Duration;

/**
 * An approved request for access, already validated.
 *
 * @param runId     the access request's id (Sym's run SRN); the idempotency key
 * @param requester who gets the credential (an email, lower case)
 * @param approver  who approved it, when known
 * @param reason    the requester's reason, when given
 * @param target    the name of an allow-listed target (not a role name)
 * @param requested the duration asked for, before the broker's cap
 */
public record EscalationRequest(
        String runId,
        String requester,
        @Nullable String approver,
        @Nullable String reason,
        String target,
        Duration requested) {
}
