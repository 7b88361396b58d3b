package io.pgephemeral.sym;

import io.pgephemeral.broker.DeescalationRequest;
import io.pgephemeral.broker.EscalationRequest;
import io.pgephemeral.broker.RequestRefused;
import io.pgephemeral.config.BrokerSettings;
import io.pgephemeral.config.Durations;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads Sym's Lambda events (schema v6) into the broker's requests. This class is the only place
 * that knows where Sym puts things; every value leaves it checked, and unknown fields are ignored.
 */
@Singleton
public final class SymEventReader {

    /** Conservative: one {@code @}, no spaces or control characters, a plain domain. */
    private static final Pattern EMAIL =
            Pattern.compile("[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?");
    /** Sym SRNs are colon-separated words, versions and a UUID. */
    private static final Pattern SRN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9:._/@+-]{0,511}");
    private static final Pattern TARGET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final int REASON_LIMIT = 2000;
    private static final int MAX_ADDRESS = 254;
    private static final int MAX_LABEL = 63;

    private final ChronoUnit durationUnit;

    /**
     * A well-formed escalate event naming nobody real, for warming the reader and the JSON code up
     * before a SnapStart snapshot. Never handled as a request.
     */
    public static final String PRIMING_EVENT = """
            {"event": {"type": "escalate"},
             "run": {"srn": "snapstart:run:priming:1.0.0:00000000-0000-0000-0000-000000000000",
                     "actors": {"request": {"username": "priming@snapstart.invalid"},
                                "approve": {"username": "priming@snapstart.invalid"}}},
             "fields": {"target": {"name": "priming"}, "duration": 60, "reason": "SnapStart priming"}}""";

    public SymEventReader(BrokerSettings settings) {
        this.durationUnit = settings.durationUnit();
    }

    /** The event type: {@code escalate} or {@code deescalate}; anything else is refused. */
    public String type(Map<String, Object> event) {
        Object type = path(event, "event", "type");
        if (!(type instanceof String s) || !(s.equals("escalate") || s.equals("deescalate"))) {
            throw new RequestRefused("event.type must be 'escalate' or 'deescalate', got " + describe(type));
        }
        return s;
    }

    public EscalationRequest escalation(Map<String, Object> event) {
        String runId = srn(path(event, "run", "srn"), true);
        String requester = email(path(event, "run", "actors", "request", "username"), "run.actors.request.username", true);
        String approver = email(path(event, "run", "actors", "approve", "username"), "run.actors.approve.username", false);
        String target = targetName(path(event, "fields", "target", "name"));
        Duration duration;
        try {
            duration = Durations.parse(path(event, "fields", "duration"), durationUnit);
        } catch (IllegalArgumentException e) {
            throw new RequestRefused("fields.duration: " + e.getMessage());
        }
        String reason = reason(path(event, "fields", "reason"));
        return new EscalationRequest(runId, requester, approver, reason, target, duration);
    }

    public DeescalationRequest deescalation(Map<String, Object> event) {
        String runId = srn(path(event, "run", "srn"), false);
        String requester = email(path(event, "run", "actors", "request", "username"), "run.actors.request.username", true);
        String endedBy = email(path(event, "run", "actors", "deescalate", "username"), "run.actors.deescalate.username", false);
        String target = targetName(path(event, "fields", "target", "name"));
        Object type = path(event, "fields", "deescalate_type");
        String trigger = "manual".equals(type) || "scheduled".equals(type) ? (String) type : null;
        return new DeescalationRequest(runId, requester, target, endedBy, trigger);
    }

    private static String srn(Object value, boolean required) {
        if (value == null && !required) {
            return null;
        }
        if (!(value instanceof String s) || !SRN.matcher(s).matches()) {
            throw new RequestRefused("run.srn must be a Sym run SRN, got " + describe(value));
        }
        return s;
    }

    private static String email(Object value, String field, boolean required) {
        if (value == null || "".equals(value)) {
            if (required) {
                throw new RequestRefused(field + " is missing");
            }
            return null;
        }
        if (!(value instanceof String s) || !EMAIL.matcher(s).matches()) {
            throw new RequestRefused(field + " must be an email address, got " + describe(value));
        }
        // RFC 5321 4.5.3.1: a path holds at most 256 octets with its angle brackets, so an address
        // at most 254; a local part at most 64 (the pattern); a DNS label at most 63 (RFC 1035).
        if (s.length() > MAX_ADDRESS) {
            throw new RequestRefused(field + " is " + s.length() + " characters long; an email address has at most "
                    + MAX_ADDRESS + " (RFC 5321)");
        }
        for (String label : s.substring(s.indexOf('@') + 1).split("\\.", -1)) {
            if (label.isEmpty() || label.length() > MAX_LABEL) {
                throw new RequestRefused(field + " has a domain label of " + label.length()
                        + " characters; each label of an email domain has 1 to " + MAX_LABEL + " (RFC 1035)");
            }
        }
        return s.toLowerCase(Locale.ROOT);
    }

    private static String targetName(Object value) {
        if (!(value instanceof String s) || !TARGET_NAME.matcher(s).matches()) {
            throw new RequestRefused("fields.target.name is not an allowed target: " + describe(value));
        }
        return s;
    }

    private static String reason(Object value) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof String s)) {
            throw new RequestRefused("fields.reason must be text, got " + describe(value));
        }
        String clean = s.replaceAll("\\p{Cntrl}", " ").strip();
        if (clean.isEmpty()) {
            return null;
        }
        return clean.length() <= REASON_LIMIT ? clean : clean.substring(0, REASON_LIMIT);
    }

    @SuppressWarnings("unchecked")
    private static Object path(Map<String, Object> root, String... keys) {
        Object here = root;
        for (String key : keys) {
            if (!(here instanceof Map<?, ?> map)) {
                return null;
            }
            here = ((Map<String, Object>) map).get(key);
        }
        return here;
    }

    /** A short, single-line, quoted echo of a bad value, safe to put in an error line. */
    static String describe(Object value) {
        if (value == null) {
            return "nothing";
        }
        if (value instanceof String s) {
            String oneLine = s.replaceAll("\\p{Cntrl}", "?");
            return "'" + (oneLine.length() <= 64 ? oneLine : oneLine.substring(0, 64) + "...") + "'";
        }
        if (value instanceof Map<?, ?>) {
            return "an object";
        }
        if (value instanceof java.util.List<?>) {
            return "a list";
        }
        return String.valueOf(value);
    }
}
