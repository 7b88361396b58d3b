package io.pgephemeral.broker;

import java.util.List;

/**
 * An allow-listed target: the Sym target name and the PostgreSQL roles a credential for it gets.
 *
 * @param name    the Sym target name
 * @param roles   roles granted to the temporary login
 * @param inherit whether the login uses the roles' privileges directly (INHERIT) or must
 *                {@code SET ROLE} first (NOINHERIT)
 */
public record Target(String name, List<String> roles, boolean inherit) {

    public Target {
        roles = List.copyOf(roles);
    }
}
