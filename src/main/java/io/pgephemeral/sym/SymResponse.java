package io.pgephemeral.sym;

import java.util.List;
import java.util.Map;

/**
 * What Sym expects back from its Lambda: a body for the flow and a list of errors, each shown to
 * the people running the flow. An empty list means success. {@link ResponseJson} writes it.
 */
public record SymResponse(Map<String, Object> body, List<String> errors) {

    public static SymResponse ok(Map<String, Object> body) {
        return new SymResponse(body, List.of());
    }

    public static SymResponse error(String message) {
        return new SymResponse(Map.of(), List.of(message));
    }

    public boolean succeeded() {
        return errors.isEmpty();
    }
}
