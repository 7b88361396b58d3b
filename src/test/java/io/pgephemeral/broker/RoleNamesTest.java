package io.pgephemeral.broker;

import io.pgephemeral.crypto.PasswordGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoleNamesTest {

    private final PasswordGenerator random = new PasswordGenerator();
    private final RoleNames names = new RoleNames("eph_{requester}_{suffix}", random::randomBytes);

    @Test
    void namesAreReadableAndNew() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String name = names.next("Jane.Doe+db@acme.example", "readonly");
            assertTrue(name.matches("eph_jane_doe_db_[a-z2-7]{10}"), name);
            assertTrue(seen.add(name));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"a@x.example", "\"weird\"@x.example", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx@x.example",
            "ÅÉÎ@x.example", "---@x.example", "robert'); DROP TABLE students;--@x.example"})
    void everyNameIsPlainAsciiOfAtMost63Bytes(String requester) {
        String name = names.next(requester, "readonly");
        assertTrue(name.getBytes(StandardCharsets.UTF_8).length <= 63, name);
        assertTrue(name.matches("[a-z_][a-z0-9_]*"), name);
    }

    @Test
    void templatesMayNameTheTarget() {
        RoleNames withTarget = new RoleNames("tmp_{target}_{requester}_{suffix}", random::randomBytes);
        String name = withTarget.next("x".repeat(80) + "@x.example", "analytics");
        assertTrue(name.startsWith("tmp_analytics_xxx"), name);
        assertTrue(name.length() <= 63);
    }

    @ParameterizedTest
    @ValueSource(strings = {"eph_{requester}", "pg_{requester}_{suffix}", "{requester}_{suffix}", "Eph_{suffix}",
            "eph-{suffix}"})
    void refusesTemplatesThatCouldGoWrong(String template) {
        assertThrows(IllegalArgumentException.class, () -> new RoleNames(template, random::randomBytes));
    }

    @Test
    void theSuffixComesFromTheRandomSource() {
        RoleNames fixed = new RoleNames("eph_{requester}_{suffix}", n -> new byte[n]);
        assertEquals("eph_jane_aaaaaaaaaa", fixed.next("jane@x.example", "readonly"));
    }
}
