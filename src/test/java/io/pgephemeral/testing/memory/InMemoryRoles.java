package io.pgephemeral.testing.memory;

import io.pgephemeral.broker.DatabaseRoles;
import io.pgephemeral.broker.ManagedRole;
import io.pgephemeral.broker.NewLogin;
import io.pgephemeral.broker.RoleNameTaken;
import io.pgephemeral.broker.RoleRemoval;
import io.pgephemeral.broker.Target;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The target's roles in memory, as {@code postgres.PostgresRoles} treats them: a name is never
 * taken over, a role that owns objects can only be disabled (and is left out of the group
 * removal), removing an absent role says so, only one sweep holds the claim.
 */
public final class InMemoryRoles implements DatabaseRoles {

    /** A live login: when it expires, whether it may log in, its sessions, whether it owns objects. */
    public record Role(String name, Instant validUntil, boolean canLogin, int sessions, boolean ownsObjects) {
    }

    private final Map<String, Role> roles = new LinkedHashMap<>();
    private final PortCalls calls;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final Map<String, RuntimeException> failures = new java.util.concurrent.ConcurrentHashMap<>();

    private final List<List<String>> removeAllCalls = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile java.util.function.Function<String, String> batchOf = name -> null;

    public InMemoryRoles(PortCalls calls) {
        this.calls = calls;
    }

    /** The removal batch {@link #managedRoles} reports for each role (as creator roles do on 16+). */
    public void batchBy(java.util.function.Function<String, String> batchOf) {
        this.batchOf = batchOf;
    }

    /** The names of each {@link #removeAll} call, in order. */
    public List<List<String>> removeAllCalls() {
        return List.copyOf(removeAllCalls);
    }

    /** The next {@code call} ("roles.create", ...) throws {@code failure} instead of acting. */
    public void failNext(String call, RuntimeException failure) {
        failures.put(call, failure);
    }

    private void enter(String call) {
        calls.enter(call);
        RuntimeException failure = failures.remove(call);
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void create(NewLogin login) {
        enter("roles.create");
        synchronized (this) {
            if (roles.containsKey(login.roleName())) {
                throw new RoleNameTaken(login.roleName());
            }
            roles.put(login.roleName(), new Role(login.roleName(), login.validUntil(), true, 0, false));
        }
    }

    @Override
    public Map<String, String> vet(Collection<Target> targets) {
        enter("roles.vet");
        return Map.of();
    }

    @Override
    public RoleRemoval remove(String roleName) {
        enter("roles.remove");
        synchronized (this) {
            Role role = roles.get(roleName);
            if (role == null) {
                return new RoleRemoval(RoleRemoval.Outcome.ABSENT, 0, null);
            }
            if (role.ownsObjects()) {
                roles.put(roleName, new Role(roleName, role.validUntil(), false, 0, true));
                return new RoleRemoval(RoleRemoval.Outcome.DISABLED, role.sessions(), "it owns objects");
            }
            roles.remove(roleName);
            return new RoleRemoval(RoleRemoval.Outcome.DROPPED, role.sessions(), null);
        }
    }

    @Override
    public Map<String, RoleRemoval> removeAll(List<String> roleNames) {
        enter("roles.removeAll");
        removeAllCalls.add(List.copyOf(roleNames));
        synchronized (this) {
            Map<String, RoleRemoval> out = new LinkedHashMap<>();
            for (String name : roleNames) {
                Role role = roles.get(name);
                if (role == null) {
                    out.put(name, new RoleRemoval(RoleRemoval.Outcome.ABSENT, 0, null));
                } else if (!role.ownsObjects()) {
                    roles.remove(name);
                    out.put(name, new RoleRemoval(RoleRemoval.Outcome.DROPPED, role.sessions(), null));
                }
            }
            return out;
        }
    }

    @Override
    public List<ManagedRole> managedRoles() {
        enter("roles.managedRoles");
        synchronized (this) {
            List<ManagedRole> out = new ArrayList<>();
            roles.values().forEach(r -> out.add(new ManagedRole(r.name(), r.validUntil(), r.canLogin(),
                    batchOf.apply(r.name()))));
            return out;
        }
    }

    @Override
    public Optional<AutoCloseable> claimSweep() {
        enter("roles.claimSweep");
        return sweeping.compareAndSet(false, true) ? Optional.of(() -> sweeping.set(false)) : Optional.empty();
    }

    /** A role made outside the broker's escalations (a crash's leftover, a hand-made member of the marker). */
    public synchronized void put(Role role) {
        roles.put(role.name(), role);
    }

    public synchronized Optional<Role> role(String name) {
        return Optional.ofNullable(roles.get(name));
    }

    public synchronized List<String> names() {
        return List.copyOf(roles.keySet());
    }
}
