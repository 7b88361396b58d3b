package io.pgephemeral.config;

import java.util.Locale;

/**
 * Names settings the way operators set them. Micronaut maps {@code BROKER_LOCK_TIMEOUT} onto
 * {@code broker.lock-timeout}; an error about a setting names the environment variable, since that
 * is what an operator types into Lambda's configuration or a shell.
 */
public final class Settings {

    private Settings() {
    }

    /** {@code broker.secret-store} is {@code BROKER_SECRET_STORE}. */
    public static String variable(String key) {
        return key.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /**
     * A refusal of one setting's value, in one line: the variable, what it accepts, what it got
     * (shortened, control characters masked).
     *
     * @param key      the property key, e.g. {@code broker.secret-store}
     * @param expected what the setting accepts, e.g. {@code must be aws or local}
     */
    public static IllegalArgumentException invalid(String key, String expected, Object got) {
        return new IllegalArgumentException(variable(key) + " " + expected + ", got '" + shorten(String.valueOf(got)) + "'");
    }

    /** At most 40 characters of what was set, so an error line stays one short line. */
    static String shorten(String s) {
        String oneLine = s.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() <= 40 ? oneLine : oneLine.substring(0, 40) + "...";
    }
}
