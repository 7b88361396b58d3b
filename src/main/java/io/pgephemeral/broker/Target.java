package io.pgephemeral.broker;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * An allow-listed target: the Sym target name and the PostgreSQL roles a credential for it gets.
 *
 * @param name    the Sym target name
 * @param roles   roles granted to the temporary login
 * @param inherit whether the login uses the roles' privileges directly (INHERIT) or must
 *                {@code SET ROLE} first (NOINHERIT)
 * @param allowed predefined roles ({@code pg_*}) the operator accepts that the target's roles
 *                reach; any other predefined role they reach makes the target refused
 */
public record Target(String name, List<String> roles, boolean inherit, Set<String> allowed) {

    public Target {
        roles = List.copyOf(roles);
        allowed = Set.copyOf(new TreeSet<>(allowed));
    }

    /** A target that opts in to no predefined role. */
    public Target(String name, List<String> roles, boolean inherit) {
        this(name, roles, inherit, Set.of());
    }
}
