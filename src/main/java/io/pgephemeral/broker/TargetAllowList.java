package io.pgephemeral.broker;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The operator's allow-list of targets, parsed from
 * {@code name=role|role[:noinherit][:allow=pg_role+pg_role],...}. Events only ever name a target;
 * the roles come from here, so a request can never name a role. {@code allow=} is the operator's
 * opt-in, by name, to predefined roles the target's roles reach (see {@link Target#allowed}).
 */
public final class TargetAllowList {

    private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    /** Plain identifiers only: anything fancier in an allow-list is more likely a mistake than a need. */
    private static final Pattern ROLE = Pattern.compile("[a-z_][a-z0-9_$]{0,62}");
    /** PostgreSQL reserves the pg_ prefix for its predefined roles. */
    private static final Pattern PREDEFINED = Pattern.compile("pg_[a-z0-9_]{1,60}");

    private final Map<String, Target> targets;

    private TargetAllowList(Map<String, Target> targets) {
        this.targets = Collections.unmodifiableMap(targets);
    }

    /**
     * Parses the allow-list; a mistake in it is a configuration error that names the entry.
     *
     * @param spec       the allow-list text
     * @param markerRole the broker's marker role, which may never be a target
     */
    public static TargetAllowList parse(String spec, String markerRole) {
        Map<String, Target> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return new TargetAllowList(out);
        }
        for (String entry : spec.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("allow-list entry '" + e + "' must look like name=role|role");
            }
            String name = e.substring(0, eq).strip();
            String[] parts = e.substring(eq + 1).split(":", -1);
            String rest = parts[0].strip();
            Boolean inherit = null;
            Set<String> allowed = new TreeSet<>();
            for (int i = 1; i < parts.length; i++) {
                String option = parts[i].strip();
                String lower = option.toLowerCase(Locale.ROOT);
                if (lower.equals("inherit") || lower.equals("noinherit")) {
                    if (inherit != null) {
                        throw new IllegalArgumentException("allow-list entry '" + e + "' says inherit or noinherit twice");
                    }
                    inherit = lower.equals("inherit");
                } else if (lower.startsWith("allow=")) {
                    for (String role : option.substring("allow=".length()).split("\\+", -1)) {
                        String r = role.strip();
                        if (!PREDEFINED.matcher(r).matches()) {
                            throw new IllegalArgumentException("allow-list entry '" + e + "': allow= takes predefined"
                                    + " roles joined by '+', e.g. allow=pg_read_all_data+pg_signal_backend; got '" + r + "'");
                        }
                        allowed.add(r);
                    }
                } else {
                    throw new IllegalArgumentException("allow-list entry '" + e + "': unknown option '" + option
                            + "' (inherit, noinherit or allow=pg_role+pg_role)");
                }
            }
            if (!TARGET.matcher(name).matches()) {
                throw new IllegalArgumentException("allow-list target name '" + name + "' is not a plain name");
            }
            if (out.containsKey(name)) {
                throw new IllegalArgumentException("allow-list names target '" + name + "' twice");
            }
            List<String> roles = new ArrayList<>();
            for (String role : rest.split("\\|")) {
                String r = role.strip();
                if (!ROLE.matcher(r).matches()) {
                    throw new IllegalArgumentException("allow-list target '" + name + "': '" + r
                            + "' is not a plain lower-case role name");
                }
                if (r.startsWith("pg_")) {
                    throw new IllegalArgumentException("allow-list target '" + name + "': '" + r
                            + "' is a predefined PostgreSQL role: grant it to a role of your own, make that the"
                            + " target and add :allow=" + r + " to the entry");
                }
                if (r.equals(markerRole)) {
                    throw new IllegalArgumentException("allow-list target '" + name + "': the marker role '" + r
                            + "' cannot be a target");
                }
                if (!roles.contains(r)) {
                    roles.add(r);
                }
            }
            out.put(name, new Target(name, roles, inherit == null || inherit, allowed));
        }
        return new TargetAllowList(out);
    }

    /** The target of that exact name, if the operator allowed it. */
    public Optional<Target> find(String name) {
        return Optional.ofNullable(targets.get(name));
    }

    /** The target of that name, or a refusal that lists what is allowed. */
    public Target require(String name) {
        return find(name).orElseThrow(() -> new RequestRefused("target '" + name
                + "' is not on the broker's allow-list" + (targets.isEmpty() ? " (the allow-list is empty)"
                : " (allowed: " + String.join(", ", targets.keySet()) + ")")));
    }

    public Map<String, Target> all() {
        return targets;
    }
}
