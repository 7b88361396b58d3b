package io.pgephemeral.testing;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Choosing the tests' PostgreSQL: what each choice gives, and the one line a wrong choice gets. */
class TestBackendTest {

    @Test
    void embeddedIsTheDefaultAndTheExternalUrlStillWins() {
        assertEquals(TestBackend.EMBEDDED, TestBackend.select(null, null));
        assertEquals(TestBackend.EMBEDDED, TestBackend.select("", ""));
        assertEquals(TestBackend.EMBEDDED, TestBackend.select("embedded", null));
        assertEquals(TestBackend.EXTERNAL, TestBackend.select("embedded", "jdbc:postgresql://db/postgres?user=x"));
        assertEquals(TestBackend.TESTCONTAINERS, TestBackend.select("testcontainers", null));
    }

    @Test
    void anUnknownBackendIsOneLineListingTheValidOnes() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TestBackend.select("docker", null));
        assertEquals("unknown -Dpg.backend=docker: use one of embedded, testcontainers"
                + " (or BROKER_TEST_DB_URL for a server of your own)", e.getMessage());
    }

    @Test
    void containersAndAnExternalUrlTogetherAreRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TestBackend.select("testcontainers", "jdbc:postgresql://db/postgres"));
        assertEquals("-Dpg.backend=testcontainers and BROKER_TEST_DB_URL both name the test server:"
                + " unset BROKER_TEST_DB_URL or drop -Dpg.backend", e.getMessage());
    }

    @Test
    void theImageFollowsTheEmbeddedMajorUnlessNamed() {
        assertEquals("postgres:17", TestBackend.image(null, "17.11.0"));
        assertEquals("postgres:13", TestBackend.image("", "13.23.0"));
        assertEquals("postgres:18", TestBackend.image(null, "18.6.0"));
        assertEquals("postgres:16-alpine", TestBackend.image("postgres:16-alpine", "17.11.0"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TestBackend.image(null, "latest"));
        assertEquals("-Dpg.binaries.version=latest names no PostgreSQL major (like 17.11.0): fix it, or name"
                + " the image with -Dpg.image=postgres:17", e.getMessage());
    }

    /**
     * Without Docker the container backend fails before it builds or pulls anything, with one line
     * that says what to do; Docker's absence is given here, so this holds on a machine that has it.
     */
    @Test
    void withoutDockerTheContainerBackendFailsAtOnceInOneLine() {
        AtomicInteger asked = new AtomicInteger();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ContainerServer.start("postgres:17", Map.of("log_statement", "all"), () -> {
                    asked.incrementAndGet();
                    return false;
                }));
        assertEquals(1, asked.get());
        assertEquals("-Dpg.backend=testcontainers needs a running Docker, and Testcontainers found none:"
                + " start Docker (or set DOCKER_HOST), or drop -Dpg.backend to use the embedded server",
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
