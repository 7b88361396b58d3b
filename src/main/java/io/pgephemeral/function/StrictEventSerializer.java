package io.pgephemeral.function;

import com.amazonaws.services.lambda.runtime.CustomPojoSerializer;
import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.pgephemeral.broker.RequestRefused;
import io.pgephemeral.sym.EventJson;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The serializer the Lambda Java runtime loads (META-INF/services): the event is read by
 * {@link EventJson}, strictly, instead of by the runtime's own lenient Jackson, which lets the last
 * of two keys win and throws (stack trace in the response) on {@code null} or an array. Responses
 * are written by Micronaut's JSON mapper (serde), which writes the {@code SymResponse} record as
 * its introspection says.
 */
public class StrictEventSerializer implements CustomPojoSerializer {

    private final JsonMapper json = JsonMapper.createDefault();

    @Override
    public <T> T fromJson(InputStream input, Type type) {
        try {
            return isEvent(type) ? event(input.readNBytes(EventJson.MAX_BYTES + 1)) : read(input.readAllBytes(), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public <T> T fromJson(String input, Type type) {
        byte[] bytes = input.getBytes(StandardCharsets.UTF_8);
        return isEvent(type) ? event(bytes) : read(bytes, type);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> void toJson(T value, OutputStream output, Type type) {
        try {
            json.writeValue(output, (Argument<T>) Argument.of(type), value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private <T> T read(byte[] bytes, Type type) {
        try {
            return (T) json.readValue(bytes, Argument.of(type));
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
    private static boolean isEvent(Type type) {
        Type raw = type instanceof ParameterizedType p ? p.getRawType() : type;
        return raw instanceof Class<?> c && c.isAssignableFrom(Map.class);
    }
}
