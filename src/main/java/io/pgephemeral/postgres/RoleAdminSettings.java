package io.pgephemeral.postgres;

import io.micronaut.core.annotation.Nullable;

import java.time.Duration;
import java.util.List;

/**
 * How the broker administers roles.
 *
 * @param markerRole      NOLOGIN role that marks a role as the broker's
 * @param lockKey         advisory lock key shared with any other tool that manages roles
 * @param lockTimeout     how long to wait for that lock before giving up
 * @param reassignOwnedTo role that inherits objects left behind by a temporary role, or null to
 *                        disable such a role instead of dropping it
 * @param creatorRoles    NOLOGIN CREATEROLE roles the bot creates each new login as (16+), so that
 *                        no one role administers every live login; empty: the bot creates them itself
 */
public record RoleAdminSettings(String markerRole, long lockKey, Duration lockTimeout, @Nullable String reassignOwnedTo,
                                List<String> creatorRoles) {

    public RoleAdminSettings {
        creatorRoles = List.copyOf(creatorRoles);
    }

    /** The bot creates every login itself. */
    public RoleAdminSettings(String markerRole, long lockKey, Duration lockTimeout, @Nullable String reassignOwnedTo) {
        this(markerRole, lockKey, lockTimeout, reassignOwnedTo, List.of());
    }
}
