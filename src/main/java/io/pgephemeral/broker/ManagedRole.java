package io.pgephemeral.broker;

import io.micronaut.core.annotation.Nullable;

import java.time.Instant;

/** A temporary login as the database shows it. */
public record ManagedRole(String name, @Nullable Instant validUntil) {
}
