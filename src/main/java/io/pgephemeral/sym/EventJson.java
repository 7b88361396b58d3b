package io.pgephemeral.sym;

import io.pgephemeral.broker.ErrorLine;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.pgephemeral.broker.RequestRefused;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the raw bytes of an invocation into the map the rest of the broker sees, strictly: exactly
 * one JSON object, no key twice at any level, nothing after it. A lenient reader lets the last of
 * two keys win, so {@code "type": "deescalate", ..., "type": "escalate"} means one thing to a
 * proxy or log reader that keeps the first and another to the broker; here it is refused.
 *
 * <p>Every refusal is a {@link RequestRefused} with one line that says what is wrong and where;
 * it never echoes more than a short, sanitised piece of the input.
 */
public final class EventJson {

    /** Sym's events are a few kilobytes; Lambda's own limit for a synchronous payload is 6 MB. */
    public static final int MAX_BYTES = 1 << 20;

    private static final JsonFactory STRICT = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            // Sym nests a handful of levels; a deep document is an attack on the reader, not an event.
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(32).maxStringLength(64 * 1024).maxNumberLength(64).build())
            .build();

    private EventJson() {
    }

    /** The event as nested maps, lists, strings, numbers, booleans and nulls. */
    public static Map<String, Object> read(byte[] json) {
        if (json.length > MAX_BYTES) {
            throw new RequestRefused("the event is " + json.length + " bytes; at most " + MAX_BYTES + " are read");
        }
        try (JsonParser p = STRICT.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new RequestRefused("the event is empty: it must be a JSON object");
            }
            if (first != JsonToken.START_OBJECT) {
                throw new RequestRefused("the event must be a JSON object, got " + describe(first));
            }
            Map<String, Object> event = object(p);
            if (p.nextToken() != null) {
                throw new RequestRefused("the event has more after its JSON object (line "
                        + p.currentLocation().getLineNr() + ", column " + p.currentLocation().getColumnNr()
                        + "): send exactly one object");
            }
            return event;
        } catch (JsonProcessingException e) {
            throw new RequestRefused("the event is not valid JSON: " + oneLine(e));
        } catch (IOException e) {
            throw new RequestRefused("the event could not be read: " + SymEventReader.describe(e.getMessage()));
        }
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
            default -> throw new RequestRefused("the event is not valid JSON: unexpected " + p.currentToken());
        };
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

    /** Jackson's own words, without its source excerpt, on one line, with where it happened. */
    private static String oneLine(JsonProcessingException e) {
        String message = ErrorLine.firstLine(e.getOriginalMessage(), "unreadable").replaceAll("\\p{Cntrl}", "?")
                .replaceAll("\\[Source: [^;\\]]*; ", "[");
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
