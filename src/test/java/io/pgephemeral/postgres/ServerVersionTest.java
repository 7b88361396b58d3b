package io.pgephemeral.postgres;

import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The matrix really runs each major: the server is the one -Dpg.binaries.version asked for. */
@Tag("compat")
class ServerVersionTest {

    @Test
    void theServerIsTheMajorTheBuildAskedFor() {
        String asked = System.getProperty("pg.binaries.version");
        int major = Integer.parseInt(asked.substring(0, asked.indexOf('.')));
        if (System.getenv("BROKER_TEST_DB_URL") == null) {
            assertEquals(major, TestEnvironment.get().serverMajor());
        } else {
            assertEquals(true, TestEnvironment.get().serverMajor() >= 13, "PostgreSQL 13 or later");
        }
    }
}
