package io.pgephemeral.sym;

import io.pgephemeral.broker.RequestRefused;
import io.pgephemeral.json.JsonTree;

import java.util.Map;

/**
 * Reads the raw bytes of an invocation into the map the rest of the broker sees, strictly: exactly
 * one JSON object, no key twice at any level, nothing after it ({@link JsonTree}). A lenient reader
 * lets the last of two keys win, so {@code "type": "deescalate", ..., "type": "escalate"} means one
 * thing to a proxy or log reader that keeps the first and another to the broker; here it is refused.
 *
 * <p>Every refusal is a {@link RequestRefused} with one line that says what is wrong and where;
 * it never echoes more than a short, sanitised piece of the input.
 */
public final class EventJson {

    /** Sym's events are a few kilobytes; Lambda's own limit for a synchronous payload is 6 MB. */
    public static final int MAX_BYTES = 1 << 20;

    private EventJson() {
    }

    /** The event as nested maps, lists, strings, numbers, booleans and nulls. */
    public static Map<String, Object> read(byte[] json) {
        if (json.length > MAX_BYTES) {
            throw new RequestRefused("the event is " + json.length + " bytes; at most " + MAX_BYTES + " are read");
        }
        try {
            return JsonTree.readObject(json);
        } catch (JsonTree.Malformed e) {
            throw new RequestRefused("the event " + e.getMessage());
        }
    }
}
