package io.pgephemeral.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON as the broker uses it: an object of nested maps, lists, strings, numbers, booleans and nulls,
 * read with jackson-core's parser and written with its generator. Every document the broker reads
 * (Sym's events, secret values, the local store's files) is such a tree, and so is every one it
 * writes but the ledger's exports and report, which stream rows with writers of their own. Nothing
 * binds JSON to types, so no object mapper is needed; Micronaut's (serde) cost every cold start its
 * bean definitions and the classes behind them.
 *
 * <p>Reading is strict: exactly one object, no key twice at any level, nothing after it, bounded
 * nesting and lengths. A lenient reader lets the last of two equal keys win, so that one document
 * means one thing to whoever checked it and another to the broker.
 */
public final class JsonTree {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            // The broker's documents nest a handful of levels; a deep one is an attack on the reader.
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(32).maxStringLength(64 * 1024).maxNumberLength(64).build())
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET) // the caller's stream: Lambda's, stdout, a file
            .build();

    /**
     * A document that is not one JSON object. The message completes a sentence whose subject is the
     * document ("the event " + message) and says what is wrong and where. Where the parser's own words
     * are kept, they may quote a short token of the input: a caller whose document is a secret says
     * only that it is not JSON.
     */
    public static final class Malformed extends Exception {
        private Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private JsonTree() {
    }

    /** The object {@code json} holds, as nested maps (in document order), lists, strings, numbers, booleans and nulls. */
    public static Map<String, Object> readObject(byte[] json) throws Malformed {
        try (JsonParser p = FACTORY.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new Malformed("is empty: it must be a JSON object");
            }
            if (first != JsonToken.START_OBJECT) {
                throw new Malformed("must be a JSON object, got " + describe(first));
            }
            Map<String, Object> object = object(p);
            if (p.nextToken() != null) {
                throw new Malformed("has more after its JSON object (line " + p.currentLocation().getLineNr()
                        + ", column " + p.currentLocation().getColumnNr() + "): send exactly one object");
            }
            return object;
        } catch (JsonProcessingException e) {
            throw new Malformed("is not valid JSON: " + oneLine(e));
        } catch (IOException e) {
            throw new Malformed("could not be read: " + e.getClass().getSimpleName()); // not from a byte array
        }
    }

    /** {@link #readObject(byte[])} of the string's UTF-8. */
    public static Map<String, Object> readObject(String json) throws Malformed {
        return readObject(json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code tree} to {@code out} as compact UTF-8 JSON, leaving {@code out} open. A value that
     * is not a string, number, boolean, null, list or map with string keys is refused by name rather
     * than written as whatever its {@code toString} says.
     */
    public static void write(Object tree, OutputStream out) throws IOException {
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            value(g, tree);
        }
    }

    /** {@code tree} as compact UTF-8 JSON. */
    public static byte[] bytes(Object tree) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try {
            write(tree, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // not from a byte array
        }
        return out.toByteArray();
    }

    /** {@code tree} as compact JSON text. */
    public static String string(Object tree) {
        return new String(bytes(tree), StandardCharsets.UTF_8);
    }

    private static Map<String, Object> object(JsonParser p) throws IOException {
        Map<String, Object> map = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            p.nextToken();
            map.put(key, value(p));
        }
        return map;
    }

    private static Object value(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> object(p);
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(value(p));
                }
                yield list;
            }
            case VALUE_STRING -> p.getText();
            // Integers as Integer, Long or BigInteger; fractions as BigDecimal, so 1.5 stays exact.
            case VALUE_NUMBER_INT -> p.getNumberValue();
            case VALUE_NUMBER_FLOAT -> p.getDecimalValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            // The parser reports anything else as an error before handing it out.
            default -> throw new IllegalStateException("unexpected " + p.currentToken());
        };
    }

    private static void value(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Float f) {
            g.writeNumber(f);
        } else if (v instanceof BigDecimal d) {
            g.writeNumber(d);
        } else if (v instanceof BigInteger i) {
            g.writeNumber(i);
        } else if (v instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("a JSON object's keys are strings; got " + describe(e.getKey()));
                }
                g.writeFieldName(key);
                value(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof Collection<?> list) {
            g.writeStartArray();
            for (Object item : list) {
                value(g, item);
            }
            g.writeEndArray();
        } else {
            throw new IllegalArgumentException("JSON here holds strings, numbers, booleans, lists and maps; got "
                    + describe(v));
        }
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE -> "true";
            case VALUE_FALSE -> "false";
            case VALUE_NULL -> "null";
            default -> token.asString() == null ? token.name() : token.asString();
        };
    }

    private static String describe(Object v) {
        return v == null ? "null" : "a " + v.getClass().getName();
    }

    /** Jackson's own words, without its source excerpt, on one line, with where it happened. */
    private static String oneLine(JsonProcessingException e) {
        String original = e.getOriginalMessage();
        String message = original == null || original.isBlank() ? "unreadable"
                : original.strip().lines().findFirst().orElse("unreadable").strip();
        message = message.replaceAll("\\p{Cntrl}", "?").replaceAll("\\[Source: [^;\\]]*; ", "[");
        if (message.length() > 160) {
            message = message.substring(0, 160) + "...";
        }
        if (message.startsWith("Duplicate field")) {
            message = "duplicate key " + message.substring("Duplicate field ".length()) + ": each key may appear once";
        }
        return e.getLocation() == null ? message
                : message + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }
}
