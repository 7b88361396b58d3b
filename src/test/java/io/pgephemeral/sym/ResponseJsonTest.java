package io.pgephemeral.sym;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sym's response on the wire, without an object mapper. */
class ResponseJsonTest {

    @Test
    void writesBodyAndErrorsAlways() {
        assertEquals("{\"body\":{},\"errors\":[\"target 'x' is not on the broker's allow-list\"]}",
                json(SymResponse.error("target 'x' is not on the broker's allow-list")));
        assertEquals("{\"body\":{\"role\":\"r\"},\"errors\":[]}", json(SymResponse.ok(Map.of("role", "r"))));
    }

    /** What an object mapper (Jackson's, as serde did before the serializer stopped using it) writes for the same responses. */
    @Test
    void writesWhatTheObjectMapperWrote() throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("credential_id", "6f1c0b1e-0000-4000-8000-000000000001");
        body.put("role", "eph_alice_x1");
        body.put("secret_location", null);
        body.put("expires_at", "2026-12-01T11:00:00Z");
        body.put("duration_requested_seconds", 3600L);
        body.put("duration_capped", false);
        body.put("ratio", 0.5);
        body.put("exact", new BigDecimal("12.50"));
        body.put("nested", Map.of("list", List.of(1, "two", true), "quote", "a \"b\" \\ \u00e9 \u2028 \u0001"));
        ObjectMapper mapper = new ObjectMapper();
        for (SymResponse response : List.of(new SymResponse(body, List.of("one", "two")), SymResponse.ok(Map.of()),
                new SymResponse(Map.of("expired", 3, "more", true), new ArrayList<>(List.of("secret x: throttled"))))) {
            Map<String, Object> asMap = new LinkedHashMap<>();
            asMap.put("body", response.body());
            asMap.put("errors", response.errors());
            assertEquals(new String(mapper.writeValueAsBytes(asMap), StandardCharsets.UTF_8), json(response));
        }
    }

    /** A value a response never holds is refused by name, not written as whatever its toString says. */
    @Test
    void refusesWhatAResponseNeverHolds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResponseJson.bytes(SymResponse.ok(Map.of("when", java.time.Instant.EPOCH))));
        assertTrue(e.getMessage().contains("java.time.Instant"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ResponseJson.bytes(SymResponse.ok(Map.of("k", Map.of(1, "v")))));
        assertThrows(IllegalArgumentException.class,
                () -> ResponseJson.bytes(SymResponse.ok(Map.of("k", Arrays.asList(new Object())))));
    }

    private static String json(SymResponse response) {
        return new String(ResponseJson.bytes(response), StandardCharsets.UTF_8);
    }
}
