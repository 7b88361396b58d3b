package io.pgephemeral.broker;

import io.micronaut.core.annotation.Nullable;

import java.time.Instant;

/**
 * A temporary login as the database shows it.
 *
 * @param canLogin false once it was disabled (or is being removed)
 */
public record ManagedRole(String name, @Nullable Instant validUntil, boolean canLogin) {
}
