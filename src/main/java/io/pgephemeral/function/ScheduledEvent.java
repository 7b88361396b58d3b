package io.pgephemeral.function;

import java.util.Map;

/**
 * The EventBridge (Scheduler or rule) event that asks for a sweep:
 * {@code {"source": "aws.events", "detail-type": "Scheduled Event", ...}}. Sym's events never
 * carry these keys.
 */
final class ScheduledEvent {

    private ScheduledEvent() {
    }

    static boolean matches(Map<String, Object> event) {
        return "aws.events".equals(event.get("source")) && "Scheduled Event".equals(event.get("detail-type"));
    }
}
