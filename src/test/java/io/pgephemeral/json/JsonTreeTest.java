package io.pgephemeral.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The product's JSON: strict reading, and writing held to what an object mapper writes. */
class JsonTreeTest {

    /** An object mapper, in tests only: an independent reader and writer to compare with. */
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void readsNestedObjectsInDocumentOrderWithExactNumbers() throws Exception {
        Map<String, Object> tree = JsonTree.readObject(
                "{\"z\": 1, \"a\": {\"list\": [1, 2.50, \"three\", true, null]}, \"big\": 12345678901234567890}");
        assertEquals(List.of("z", "a", "big"), new ArrayList<>(tree.keySet()));
        assertEquals(1, tree.get("z"));
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) ((Map<String, Object>) tree.get("a")).get("list");
        assertEquals(Arrays.asList(1, new BigDecimal("2.50"), "three", true, null), list);
        assertEquals(new BigInteger("12345678901234567890"), tree.get("big"));
    }

    /**
     * A reader that lets the last of two equal keys win makes one document mean two things: to
     * whoever checked it, and to the broker. Refused at every level.
     */
    @Test
    void refusesAKeyTwiceAtAnyLevel() {
        for (String json : List.of("{\"password\": \"a\", \"password\": \"b\"}",
                "{\"value\": {\"username\": \"x\", \"username\": \"y\"}}",
                "{\"list\": [{\"k\": 1, \"k\": 2}]}")) {
            JsonTree.Malformed e = assertThrows(JsonTree.Malformed.class, () -> JsonTree.readObject(json), json);
            assertTrue(e.getMessage().startsWith("is not valid JSON: duplicate key"), e.getMessage());
        }
    }

    @Test
    void refusesAnythingButExactlyOneObject() {
        Map<String, String> refusals = new LinkedHashMap<>();
        refusals.put("", "is empty: it must be a JSON object");
        refusals.put("  ", "is empty: it must be a JSON object");
        refusals.put("[]", "must be a JSON object, got an array");
        refusals.put("\"x\"", "must be a JSON object, got a string");
        refusals.put("7", "must be a JSON object, got a number");
        refusals.put("null", "must be a JSON object, got null");
        refusals.put("{} {}", "has more after its JSON object (line 1, column 5): send exactly one object");
        refusals.put("{\"a\": 1", "is not valid JSON");
        refusals.put("{\"a\": 1,}", "is not valid JSON");
        refusals.forEach((json, expected) -> {
            JsonTree.Malformed e = assertThrows(JsonTree.Malformed.class, () -> JsonTree.readObject(json), json);
            assertTrue(e.getMessage().startsWith(expected), json + ": " + e.getMessage());
        });
    }

    @Test
    void boundsNestingAndLengths() {
        String deep = "{\"a\":".repeat(40) + "1" + "}".repeat(40);
        assertThrows(JsonTree.Malformed.class, () -> JsonTree.readObject(deep));
        String shallow = "{\"a\":".repeat(30) + "1" + "}".repeat(30);
        assertDoesNotRefuse(shallow);
        assertThrows(JsonTree.Malformed.class, () -> JsonTree.readObject("{\"n\": " + "9".repeat(100) + "}"));
        assertThrows(JsonTree.Malformed.class,
                () -> JsonTree.readObject("{\"s\": \"" + "x".repeat(64 * 1024 + 1) + "\"}"));
    }

    /** The bytes an object mapper writes for the same trees: what Secrets Manager and files held before. */
    @Test
    void writesWhatAnObjectMapperWrites() throws Exception {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("engine", "postgres");
        tree.put("port", 5432);
        tree.put("long", 1L << 40);
        tree.put("ratio", 0.5);
        tree.put("exact", new BigDecimal("12.50"));
        tree.put("none", null);
        tree.put("yes", true);
        tree.put("text", "a \"b\" \\ \u00e9 \u2028 \u0001 </script>");
        tree.put("nested", Map.of("list", List.of(1, "two", false, List.of())));
        assertEquals(new String(MAPPER.writeValueAsBytes(tree), StandardCharsets.UTF_8), JsonTree.string(tree));
    }

    @Test
    void whatItWritesItReadsBack() throws Exception {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("name", "pg-ephemeral/jane/readonly");
        tree.put("value", Map.of("password", "p\u00e4ss\"word\\", "port", 5432));
        tree.put("tags", List.of("x", "y"));
        assertEquals(tree, JsonTree.readObject(JsonTree.bytes(tree)));
        assertEquals(tree, MAPPER.readValue(JsonTree.bytes(tree), Map.class));
    }

    /** A value JSON here never holds is refused by name, not written as whatever its toString says. */
    @Test
    void refusesToWriteWhatItCannotReadBack() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JsonTree.bytes(Map.of("when", Instant.EPOCH)));
        assertTrue(e.getMessage().contains("java.time.Instant"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JsonTree.bytes(Map.of(1, "v")));
        assertThrows(IllegalArgumentException.class, () -> JsonTree.bytes(List.of(new Object())));
    }

    /**
     * The parser quotes a bad token, and a token may hold control characters (the JDK counts them
     * as identifier parts): a terminal escape in an event would reach whoever reads the error line.
     * They are shown as '?'.
     */
    @Test
    void aRefusalQuotesNoControlCharacter() {
        JsonTree.Malformed e = assertThrows(JsonTree.Malformed.class,
                () -> JsonTree.readObject("{\"type\": esc\u001b\u0007alate}"));
        assertTrue(e.getMessage().contains("esc??alate"), e.getMessage());
        assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20 || c == 0x7f), e.getMessage());
    }

    private static void assertDoesNotRefuse(String json) {
        try {
            JsonTree.readObject(json);
        } catch (JsonTree.Malformed e) {
            throw new AssertionError(json.length() + " characters refused: " + e.getMessage(), e);
        }
    }
}
