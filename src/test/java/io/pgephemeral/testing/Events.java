package io.pgephemeral.testing;


import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.UUID;

/**
 * Sym events for tests, built from the samples the project ships in {@code events/}, with the
 * fields a test cares about replaced. Each test uses its own run id.
 */
public final class Events {

    private Events() {
    }

    public static String newRunId() {
        return "acme:run:postgres:2.0.0:" + UUID.randomUUID();
    }

    public static Map<String, Object> escalate(String runId, String requester, String target, Object duration) {
        Map<String, Object> event = sample("events/escalate.json");
        set(event, runId, "run", "srn");
        set(event, requester, "run", "actors", "request", "username");
        set(event, target, "fields", "target", "name");
        set(event, duration, "fields", "duration");
        return event;
    }

    public static Map<String, Object> deescalate(String runId, String requester, String target) {
        Map<String, Object> event = sample("events/deescalate.json");
        set(event, runId, "run", "srn");
        set(event, requester, "run", "actors", "request", "username");
        set(event, target, "fields", "target", "name");
        return event;
    }

    public static Map<String, Object> sample(String resource) {
        try {
            return TestEnvironment.get().json().readValue(TestEnvironment.resource(resource),
                    TestEnvironment.MAP);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sets (or, with null, removes) the value at a path of nested objects. */
    @SuppressWarnings("unchecked")
    public static void set(Map<String, Object> event, Object value, String... path) {
        Map<String, Object> here = event;
        for (int i = 0; i < path.length - 1; i++) {
            here = (Map<String, Object>) here.computeIfAbsent(path[i], k -> new java.util.LinkedHashMap<>());
        }
        if (value == null) {
            here.remove(path[path.length - 1]);
        } else {
            here.put(path[path.length - 1], value);
        }
    }
}
