package io.pgephemeral.broker;

import io.micronaut.core.annotation.Nullable;

import java.time.Instant;

/**
 * A temporary login as the database shows it.
 *
 * @param canLogin     false once it was disabled (or is being removed)
 * @param removalBatch logins with the same value are cheapest removed together (on PostgreSQL 16+
 *                     with creator roles: the role that administers them); null when it does not matter
 */
public record ManagedRole(String name, @Nullable Instant validUntil, boolean canLogin, @Nullable String removalBatch) {
}
