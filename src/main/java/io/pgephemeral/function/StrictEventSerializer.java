package io.pgephemeral.function;

import com.amazonaws.services.lambda.runtime.CustomPojoSerializer;
import io.pgephemeral.broker.RequestRefused;
import io.pgephemeral.sym.EventJson;
import io.pgephemeral.sym.ResponseJson;
import io.pgephemeral.sym.SymResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The serializer the Lambda Java runtime loads (META-INF/services) for the handler's event and
 * response. The event is read by {@link EventJson}, strictly, instead of by the runtime's own
 * lenient Jackson, which lets the last of two keys win and throws (stack trace in the response) on
 * {@code null} or an array. The response is written by {@link ResponseJson}. The handler takes a
 * map and returns a {@link SymResponse}: any other type is refused, not read or written leniently.
 */
public class StrictEventSerializer implements CustomPojoSerializer {

    @Override
    public <T> T fromJson(InputStream input, Type type) {
        requireEvent(type);
        try {
            return event(input.readNBytes(EventJson.MAX_BYTES + 1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public <T> T fromJson(String input, Type type) {
        requireEvent(type);
        return event(input.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public <T> void toJson(T value, OutputStream output, Type type) {
        if (!(value instanceof SymResponse response)) {
            throw new IllegalArgumentException("the handler answers with a SymResponse, not "
                    + (value == null ? "null" : "a " + value.getClass().getName()));
        }
        try {
            ResponseJson.write(response, output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
    private static void requireEvent(Type type) {
        Type raw = type instanceof ParameterizedType p ? p.getRawType() : type;
        if (!(raw instanceof Class<?> c && c.isAssignableFrom(Map.class))) {
            throw new IllegalArgumentException("the handler reads its event as a map, not as " + type.getTypeName());
        }
    }
}
