package io.pgephemeral.sym;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;

/**
 * Writes the response Sym reads, {@code {"body": {...}, "errors": [...]}}, with jackson-core's
 * generator. A response holds strings, numbers, booleans, lists and maps and nothing else, so it
 * needs no object mapper: the one the Lambda serializer used to create built a Micronaut context of
 * its own at every cold start.
 */
public final class ResponseJson {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET) // the caller's stream: Lambda's, or stdout
            .build();

    private ResponseJson() {
    }

    /** Writes {@code response} to {@code out} as UTF-8 JSON; leaves {@code out} open. */
    public static void write(SymResponse response, OutputStream out) throws IOException {
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeFieldName("body");
            value(g, response.body());
            g.writeFieldName("errors");
            value(g, response.errors());
            g.writeEndObject();
        }
    }

    /** The response as UTF-8 JSON. */
    public static byte[] bytes(SymResponse response) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try {
            write(response, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // not from a byte array
        }
        return out.toByteArray();
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
        } else if (v instanceof Double || v instanceof Float) {
            g.writeNumber(((Number) v).doubleValue());
        } else if (v instanceof BigDecimal d) {
            g.writeNumber(d);
        } else if (v instanceof BigInteger i) {
            g.writeNumber(i);
        } else if (v instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("a response's keys are strings; got " + describe(e.getKey()));
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
            throw new IllegalArgumentException("a response holds strings, numbers, booleans, lists and maps; got "
                    + describe(v));
        }
    }

    private static String describe(Object v) {
        return v == null ? "null" : "a " + v.getClass().getName();
    }
}
