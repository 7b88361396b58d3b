package io.pgephemeral.broker;

import io.micronaut.core.annotation.Nullable;

/**
 * A request to end access.
 *
 * @param runId     the run whose credentials end; when absent, every open credential of
 *                  {@code requester} for {@code target} ends
 * @param requester whose access ends
 * @param target    the allow-listed target name
 * @param endedBy   who ended it, when known
 * @param trigger   why: {@code manual} or {@code scheduled}, when known
 */
public record DeescalationRequest(
        @Nullable String runId,
        String requester,
        String target,
        @Nullable String endedBy,
        @Nullable String trigger) {
}
