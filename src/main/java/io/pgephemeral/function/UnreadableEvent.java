package io.pgephemeral.function;

import java.util.AbstractMap;
import java.util.Set;

/**
 * What the Lambda runtime's serializer hands the handler for a payload that is not one strict JSON
 * object: an empty event carrying why. The handler answers it with that one line; the runtime never
 * sees an exception (which it would return to Sym with a stack trace).
 */
public final class UnreadableEvent extends AbstractMap<String, Object> {

    private final String reason;

    public UnreadableEvent(String reason) {
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return Set.of();
    }
}
