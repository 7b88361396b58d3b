package io.pgephemeral.broker;

import io.micronaut.core.annotation.Nullable;

import java.time.Instant;

/**
 * A secret the broker made, as the sweep sees it.
 *
 * @param name        its name
 * @param version     the version that is current: which credential it holds
 * @param roleName    the role its tags name (informational; the version decides)
 * @param lastChanged when its value last changed
 */
public record ListedSecret(String name, @Nullable String version, @Nullable String roleName, Instant lastChanged) {
}
