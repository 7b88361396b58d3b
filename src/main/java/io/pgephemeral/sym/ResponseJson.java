package io.pgephemeral.sym;

import io.pgephemeral.json.JsonTree;

import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the response Sym reads, {@code {"body": {...}, "errors": [...]}}, both keys always. A
 * response holds strings, numbers, booleans, lists and maps and nothing else, so {@link JsonTree}
 * writes it; anything else is refused by name.
 */
public final class ResponseJson {

    private ResponseJson() {
    }

    /** Writes {@code response} to {@code out} as UTF-8 JSON; leaves {@code out} open. */
    public static void write(SymResponse response, OutputStream out) throws IOException {
        JsonTree.write(tree(response), out);
    }

    /** The response as UTF-8 JSON. */
    public static byte[] bytes(SymResponse response) {
        return JsonTree.bytes(tree(response));
    }

    private static Map<String, Object> tree(SymResponse response) {
        Map<String, Object> tree = new LinkedHashMap<>(4);
        tree.put("body", response.body()); // Sym expects both keys, even when empty
        tree.put("errors", response.errors());
        return tree;
    }
}
