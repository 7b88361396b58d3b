package io.pgephemeral.function;

import com.amazonaws.services.lambda.runtime.CustomPojoSerializer;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The handler as the Lambda runtime drives it: built with its no-argument constructor, configured
 * from the environment, fed and answered through the serializer Lambda loads.
 */
class LambdaContractTest {

    /** What the Lambda Java runtime does: the one CustomPojoSerializer the class path registers. */
    private final CustomPojoSerializer serializer = loadSerializer();

    private static CustomPojoSerializer loadSerializer() {
        List<CustomPojoSerializer> found = java.util.ServiceLoader.load(CustomPojoSerializer.class).stream()
                .map(java.util.ServiceLoader.Provider::get).toList();
        assertEquals(1, found.size(), "serializers registered for the Lambda runtime: " + found);
        return found.get(0);
    }

    @Test
    void theLambdaRuntimePathEscalatesAndDeescalates() throws Exception {
        TestEnvironment env = TestEnvironment.get();
        Map<String, Object> settings = env.brokerProperties();
        // Micronaut reads system properties like environment variables; the runtime has no other input.
        settings.forEach((k, v) -> System.setProperty(k, v.toString()));
        try (BrokerFunction function = new BrokerFunction()) {
            String run = Events.newRunId();
            SymResponse escalated = roundTrip(function, Events.escalate(run, "lambda@acme.example", "readonly", "1h"));
            assertEquals(List.of(), escalated.errors());
            assertTrue(Db.roleExists((String) escalated.body().get("role")));
            SymResponse ended = roundTrip(function, Events.deescalate(run, "lambda@acme.example", "readonly"));
            assertEquals(List.of(), ended.errors());
            assertFalse(Db.roleExists((String) escalated.body().get("role")));
        } finally {
            settings.keySet().forEach(System::clearProperty);
        }
    }

    /**
     * The handler is a plain RequestHandler: Micronaut's Lambda module would bring its HTTP module
     * back, whose bean definitions every cold start loaded and initialised (a quarter of the
     * context's) for an HTTP server this function does not have.
     */
    @Test
    void theRuntimeClassPathHasNoHttpModule() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("io.micronaut.http.MediaType"));
        assertThrows(ClassNotFoundException.class, () -> Class.forName("io.micronaut.function.aws.MicronautRequestHandler"));
    }

    /**
     * Nor an object mapper (json.JsonTree reads and writes every tree), nor the scheduler and runtime
     * module that serde brought. The tests run on this class path too, so nothing they pass can lean
     * on a module the jar does not have.
     */
    @Test
    void theClassPathHasNoObjectMapperOrScheduler() {
        for (String absent : List.of("io.micronaut.serde.ObjectMapper", "io.micronaut.json.JsonMapper",
                "io.micronaut.scheduling.TaskScheduler", "io.micronaut.runtime.ApplicationConfiguration")) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(absent), absent);
        }
    }

    @Test
    void responsesAlwaysCarryBothBodyAndErrors() {
        String ok = toJson(SymResponse.ok(Map.of("role", "r")));
        String error = toJson(SymResponse.error("target 'x' is not on the broker's allow-list"));
        assertEquals("{\"body\":{\"role\":\"r\"},\"errors\":[]}", ok);
        assertEquals("{\"body\":{},\"errors\":[\"target 'x' is not on the broker's allow-list\"]}", error);
    }

    /**
     * The serializer serves one handler: it reads a map and writes a SymResponse. Anything else is
     * refused by name rather than bound leniently by an object mapper.
     */
    @Test
    void theSerializerReadsOnlyEventsAndWritesOnlyResponses() {
        IllegalArgumentException read = assertThrows(IllegalArgumentException.class,
                () -> serializer.fromJson("{\"role\":\"r\"}", SymResponse.class));
        assertTrue(read.getMessage().contains("SymResponse"), read.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> serializer.fromJson(new ByteArrayInputStream("\"x\"".getBytes(StandardCharsets.UTF_8)), String.class));
        IllegalArgumentException write = assertThrows(IllegalArgumentException.class,
                () -> serializer.toJson(Map.of("body", Map.of()), new ByteArrayOutputStream(), Map.class));
        assertTrue(write.getMessage().contains("SymResponse"), write.getMessage());
    }

    @Test
    void unknownFieldsAreIgnored() throws Exception {
        Map<String, Object> event = Events.escalate(Events.newRunId(), "unknown.fields@acme.example", "nope", 60);
        event.put("something_new", Map.of("nested", List.of(1, 2, 3)));
        Events.set(event, "extra", "fields", "target", "brand_new_field");
        try (var broker = new io.pgephemeral.testing.Broker()) {
            SymResponse response = broker.handle(fromJson(TestEnvironment.get().json().writeValueAsBytes(event)));
            // The event is read; it fails only on what matters (the target), not on the extra fields.
            assertEquals(1, response.errors().size());
            assertTrue(response.errors().get(0).contains("'nope' is not on the broker's allow-list"));
        }
    }

    /**
     * The runtime hands the raw payload to the registered serializer: a key twice, or anything but
     * one object, reaches the handler as a refusal it answers with one error line, never as a
     * lenient reading or an exception the runtime would return with its stack trace.
     */
    @Test
    void theRuntimePathReadsEventsStrictly() throws Exception {
        String escalate = new String(TestEnvironment.get().json().writeValueAsBytes(
                Events.escalate(Events.newRunId(), "lambda.strict@acme.example", "readonly", 60)), StandardCharsets.UTF_8);
        Map<String, String> payloads = new java.util.LinkedHashMap<>();
        payloads.put(escalate.replace("\"type\":\"escalate\"", "\"type\":\"deescalate\",\"type\":\"escalate\""),
                "duplicate key");
        payloads.put("null", "must be a JSON object, got null");
        payloads.put("[" + escalate + "]", "must be a JSON object, got an array");
        payloads.put("7", "must be a JSON object, got a number");
        long ledgerBefore = Db.ledgerSize();
        try (var broker = new io.pgephemeral.testing.Broker()) {
            for (Map.Entry<String, String> payload : payloads.entrySet()) {
                SymResponse response = broker.handle(fromJson(payload.getKey().getBytes(StandardCharsets.UTF_8)));
                assertEquals(1, response.errors().size(), payload.getKey());
                assertTrue(response.errors().get(0).contains(payload.getValue()), response.errors().get(0));
                assertEquals(Map.of(), response.body());
                String wire = toJson(response);
                assertFalse(wire.contains("Exception") || wire.contains("\tat "), wire);
            }
        }
        assertEquals(ledgerBefore, Db.ledgerSize(), "nothing recorded");
    }

    @Test
    void aMisconfiguredBrokerSaysWhichSettingIsWrong() {
        try (var broker = new io.pgephemeral.testing.Broker(Map.of("broker.targets", "readonly=pg_monitor"))) {
            SymResponse response = broker.handle(Events.escalate(Events.newRunId(), "x@acme.example", "readonly", 60));
            assertEquals(1, response.errors().size());
            assertTrue(response.errors().get(0).startsWith("the broker is misconfigured: BROKER_TARGETS:"),
                    response.errors().get(0));
        }
    }

    private SymResponse roundTrip(BrokerFunction function, Map<String, Object> event) throws Exception {
        byte[] raw = TestEnvironment.get().json().writeValueAsBytes(event);
        SymResponse response = function.handleRequest(fromJson(raw), null);
        // What Lambda sends back to Sym must read as the same response.
        Map<String, Object> wire = TestEnvironment.get().json().readValue(toJson(response),
                TestEnvironment.MAP);
        assertEquals(response.errors(), wire.get("errors"));
        return response;
    }

    private Map<String, Object> fromJson(byte[] raw) {
        Type type = TestEnvironment.MAP.getType();
        return serializer.fromJson(new ByteArrayInputStream(raw), type);
    }

    private String toJson(SymResponse response) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializer.toJson(response, out, SymResponse.class);
        return out.toString(StandardCharsets.UTF_8);
    }
}
