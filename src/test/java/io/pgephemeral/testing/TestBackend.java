package io.pgephemeral.testing;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which PostgreSQL serves the tests: {@code -Dpg.backend=embedded} (the default: zonky's binaries of
 * {@code -Dpg.binaries.version}), {@code -Dpg.backend=testcontainers} (the official {@code postgres}
 * image of the same major, or {@code -Dpg.image}), or an external server named by
 * {@code BROKER_TEST_DB_URL}. A choice that cannot be served fails at once, in one line.
 */
public enum TestBackend {
    EMBEDDED, TESTCONTAINERS, EXTERNAL;

    /** The values {@code -Dpg.backend} takes (the external server is chosen by its variable). */
    private static final String VALID = Arrays.stream(new TestBackend[] {EMBEDDED, TESTCONTAINERS})
            .map(TestBackend::property).collect(Collectors.joining(", "));

    public String property() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param backend     {@code -Dpg.backend}, null or blank for the default
     * @param externalUrl {@code BROKER_TEST_DB_URL}, null or blank when unset
     */
    public static TestBackend select(String backend, String externalUrl) {
        boolean external = externalUrl != null && !externalUrl.isBlank();
        String chosen = backend == null || backend.isBlank() ? EMBEDDED.property() : backend.strip();
        if (chosen.equals(TESTCONTAINERS.property())) {
            if (external) {
                throw new IllegalStateException("-Dpg.backend=testcontainers and BROKER_TEST_DB_URL both name the"
                        + " test server: unset BROKER_TEST_DB_URL or drop -Dpg.backend");
            }
            return TESTCONTAINERS;
        }
        if (chosen.equals(EMBEDDED.property())) {
            // The pom passes embedded by default, so the external URL, set on purpose, wins as it always did.
            return external ? EXTERNAL : EMBEDDED;
        }
        throw new IllegalStateException("unknown -Dpg.backend=" + chosen + ": use one of " + VALID
                + " (or BROKER_TEST_DB_URL for a server of your own)");
    }

    /**
     * The image for the container backend: {@code -Dpg.image} as given, else the official image of
     * the embedded binaries' major ({@code 17.11.0} gives {@code postgres:17}), so both backends test
     * the same major unless told otherwise.
     */
    public static String image(String image, String binariesVersion) {
        if (image != null && !image.isBlank()) {
            return image.strip();
        }
        if (binariesVersion == null || !binariesVersion.matches("\\d{2}\\.\\d+(\\.\\d+)*")) {
            throw new IllegalStateException("-Dpg.binaries.version=" + binariesVersion + " names no PostgreSQL"
                    + " major (like 17.11.0): fix it, or name the image with -Dpg.image=postgres:17");
        }
        return "postgres:" + binariesVersion.substring(0, binariesVersion.indexOf('.'));
    }
}
