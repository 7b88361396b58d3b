package io.pgephemeral.sym;

import io.pgephemeral.broker.Deescalated;
import io.pgephemeral.broker.Escalated;
import io.pgephemeral.config.Durations;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The bodies the broker returns to Sym. They name the credential; they never carry its password. */
public final class SymResponses {

    private SymResponses() {
    }

    public static SymResponse escalated(Escalated e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("credential_id", e.credentialId().toString());
        body.put("role", e.roleName());
        body.put("secret_id", e.secretName());
        if (!e.replay()) {
            body.put("secret_location", e.secretLocation());
        }
        body.put("expires_at", e.validUntil().toString());
        body.put("duration_requested_seconds", e.requested().toSeconds());
        body.put("duration_granted_seconds", e.granted().toSeconds());
        body.put("duration_capped", e.capped());
        body.put("replayed", e.replay());
        StringBuilder message = new StringBuilder(e.replay()
                ? "this request was already granted; nothing new was created. "
                : "access granted. ");
        message.append("Your credential for this database is in secret ").append(e.secretName())
                .append(" until ").append(e.validUntil()).append('.');
        if (e.capped()) {
            message.append(" The requested ").append(Durations.format(e.requested()))
                    .append(" was capped to the maximum of ").append(Durations.format(e.granted())).append('.');
        }
        body.put("message", message.toString());
        return SymResponse.ok(body);
    }

    public static SymResponse deescalated(Deescalated d) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", d.message());
        List<Map<String, Object>> removed = d.removed().stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("credential_id", r.credentialId().toString());
            m.put("role", r.roleName());
            m.put("role_outcome", r.role().name().toLowerCase(Locale.ROOT));
            m.put("sessions_terminated", r.sessionsTerminated());
            m.put("secret", r.secret().name().toLowerCase(Locale.ROOT));
            return m;
        }).toList();
        body.put("removed", removed);
        return new SymResponse(body, d.failures());
    }
}
