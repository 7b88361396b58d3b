package io.pgephemeral.function;

import io.micronaut.function.aws.JsonMapperCustomPojoSerializer;
import io.pgephemeral.broker.RequestRefused;
import io.pgephemeral.sym.EventJson;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The serializer the Lambda Java runtime loads (META-INF/services): the event is read by
 * {@link EventJson}, strictly, instead of by the runtime's own lenient Jackson, which lets the last
 * of two keys win and throws (stack trace in the response) on {@code null} or an array. Responses
 * are written by Micronaut's JSON mapper as before.
 */
public class StrictEventSerializer extends JsonMapperCustomPojoSerializer {

    @Override
    public <T> T fromJson(InputStream input, Type type) {
        if (!isEvent(type)) {
            return super.fromJson(input, type);
        }
        try {
            return event(input.readNBytes(EventJson.MAX_BYTES + 1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public <T> T fromJson(String input, Type type) {
        return isEvent(type) ? event(input.getBytes(StandardCharsets.UTF_8)) : super.fromJson(input, type);
    }

    @SuppressWarnings("unchecked")
    private static <T> T event(byte[] json) {
        try {
            return (T) EventJson.read(json);
        } catch (RequestRefused e) {
            return (T) new UnreadableEvent(e.getMessage());
        }
    }

    /** The handler's input type: a map of the event's top-level keys. */
    private static boolean isEvent(Type type) {
        Type raw = type instanceof ParameterizedType p ? p.getRawType() : type;
        return raw instanceof Class<?> c && c.isAssignableFrom(Map.class);
    }
}
