package io.pgephemeral.postgres;

import io.micronaut.core.annotation.Nullable;

import java.time.Duration;

/**
 * How the broker administers roles.
 *
 * @param markerRole      NOLOGIN role that marks a role as the broker's
 * @param lockKey         advisory lock key shared with any other tool that manages roles
 * @param lockTimeout     how long to wait for that lock before giving up
 * @param reassignOwnedTo role that inherits objects left behind by a temporary role, or null to
 *                        disable such a role instead of dropping it
 */
public record RoleAdminSettings(String markerRole, long lockKey, Duration lockTimeout, @Nullable String reassignOwnedTo) {
}
