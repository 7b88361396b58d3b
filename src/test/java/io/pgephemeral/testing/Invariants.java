package io.pgephemeral.testing;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What must hold after a sweep, whatever happened before: nothing live without an open credential. */
public final class Invariants {

    private Invariants() {
    }

    /** Role name to state ('issued', 'revoked', ...) of every credential in the ledger. */
    private static Map<String, String> states() {
        Map<String, String> out = new java.util.HashMap<>();
        for (Map<String, Object> row : Db.query("SELECT DISTINCT ON (credential_id) role_name, event"
                + " FROM ephemeral.ledger_event ORDER BY credential_id,"
                + " (event IN ('revoked','disabled','expired','failed','reconciled')) DESC, (event = 'reconciled'),"
                + " seq DESC")) {
            String role = (String) row.get("role_name");
            String event = (String) row.get("event");
            // A role name may only ever have one credential; an open one wins the map if it did not.
            if (!out.containsKey(role) || event.equals("issued") || event.equals("requested")) {
                out.put(role, event);
            }
        }
        return out;
    }

    public static void assertNoLoginOrSecretWithoutAnOpenCredential(FakeSecretsManager secrets) {
        Map<String, String> states = states();
        Set<String> stray = new HashSet<>();
        for (String role : Db.managedRoles()) {
            String state = states.get(role);
            if (!"issued".equals(state) && !"requested".equals(state) && !"disabled".equals(state)) {
                stray.add("login " + role + " (" + state + ")");
            }
        }
        for (FakeSecretsManager.Secret secret : secrets.liveSecrets()) {
            String state = states.get(secret.tags.get("pg-ephemeral:role"));
            if (!"issued".equals(state) && !"requested".equals(state)) {
                stray.add("secret " + secret.name + " (" + state + ")");
            }
        }
        assertEquals(Set.of(), stray, "logins and secrets without an open credential");
    }

    /** Every run's events, for checking shapes: run id to its events in order. */
    public static List<String> events(String runId) {
        return Db.ledgerEvents(runId);
    }
}
