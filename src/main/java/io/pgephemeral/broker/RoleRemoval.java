package io.pgephemeral.broker;

import io.micronaut.core.annotation.Nullable;

/**
 * What removing a role did.
 *
 * @param outcome            dropped, disabled (it owns objects or holds privileges), or already absent
 * @param sessionsTerminated how many open sessions were ended
 * @param detail             why a role was disabled instead of dropped
 */
public record RoleRemoval(Outcome outcome, int sessionsTerminated, @Nullable String detail) {

    public enum Outcome { DROPPED, DISABLED, ABSENT }
}
