package io.pgephemeral.config;

import io.micronaut.core.annotation.Nullable;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/**
 * The operator's settings read into what they mean: durations, counts, a port, a unit. Every value
 * is checked here, in one place, and a value that does not read is refused with one line that names
 * its environment variable and says what it accepts.
 *
 * <p>Why not Micronaut's own conversion into {@link BrokerConfig}: where a value does not convert,
 * Micronaut binds the setting's default instead, without a word ({@code BROKER_CONNECTION_LIMIT=abc}
 * became 5), and its durations read a bare number or {@code 1h30m} differently from what operators
 * have always written. {@link BrokerConfig} therefore holds what was set, as text, and this record
 * what it means.
 *
 * @param dbPasswordRereadInterval least time between two re-reads of the bot's secret
 * @param maxTtl            longest credential lifetime granted
 * @param durationUnit      unit of a bare integer duration from Sym
 * @param secretStore       where issued credentials are kept
 * @param connectPort       port written into issued credentials; null for the one in the URL
 * @param connectionLimit   CONNECTION LIMIT of each temporary role, at least 1
 * @param passwordLength    length of generated passwords, 16 to 128
 * @param lockKey           key of the advisory lock that serialises role DDL
 * @param lockTimeout       how long role DDL waits for that lock
 * @param inProgressTimeout how long an unfinished escalation of a run blocks a retry of that run
 * @param sweepBatchSize    most credentials one sweep acts on, at least 1
 * @param sweepTimeBudget   how long one sweep may work
 * @param sweepLookback     how far back the sweep looks for credentials left open
 * @param invocationTimeout how long one invocation may take outside Lambda
 * @param cleanupReserve    of an invocation's time, what is kept for undoing a failed step
 */
public record BrokerSettings(
        Duration dbPasswordRereadInterval,
        Duration maxTtl,
        ChronoUnit durationUnit,
        SecretStore secretStore,
        @Nullable Integer connectPort,
        int connectionLimit,
        int passwordLength,
        long lockKey,
        Duration lockTimeout,
        Duration inProgressTimeout,
        int sweepBatchSize,
        Duration sweepTimeBudget,
        Duration sweepLookback,
        Duration invocationTimeout,
        Duration cleanupReserve) {

    /** Where issued credentials are kept: {@code aws} (Secrets Manager) or {@code local} (JSON files). */
    public enum SecretStore { AWS, LOCAL }

    private static SecretStore secretStore(@Nullable String name) {
        return switch (name == null ? "" : name) {
            case "aws" -> SecretStore.AWS;
            case "local" -> SecretStore.LOCAL;
            default -> throw Settings.invalid("broker.secret-store", "must be aws or local", name);
        };
    }

    /** Optional sign, digits: what operators write for a number (no 1e3, no 0x10, no 1_000). */
    private static final Pattern WHOLE = Pattern.compile("[+-]?\\d{1,19}");

    /** Reads every setting; the first that does not read is refused by name. */
    public static BrokerSettings of(BrokerConfig c) {
        Integer port = blank(c.connectPort()) ? null : (int) number("broker.connect-port", c.connectPort());
        if (port != null && (port < 1 || port > 65535)) {
            throw Settings.invalid("broker.connect-port", "must be a port number (1 to 65535)", c.connectPort());
        }
        int connectionLimit = (int) number("broker.connection-limit", c.connectionLimit(), 1, Integer.MAX_VALUE);
        int passwordLength = (int) number("broker.password-length", c.passwordLength(), 16, 128);
        int sweepBatchSize = (int) number("broker.sweep-batch-size", c.sweepBatchSize(), 1, Integer.MAX_VALUE);
        return new BrokerSettings(
                duration("broker.db-password-reread-interval", c.dbPasswordRereadInterval()),
                duration("broker.max-ttl", c.maxTtl()),
                Durations.unit(c.durationUnit()).orElseThrow(() ->
                        Settings.invalid("broker.duration-unit", "must be seconds, minutes or hours", c.durationUnit())),
                secretStore(c.secretStore()),
                port,
                connectionLimit,
                passwordLength,
                number("broker.lock-key", c.lockKey()),
                duration("broker.lock-timeout", c.lockTimeout()),
                duration("broker.in-progress-timeout", c.inProgressTimeout()),
                sweepBatchSize,
                duration("broker.sweep-time-budget", c.sweepTimeBudget()),
                duration("broker.sweep-lookback", c.sweepLookback()),
                duration("broker.invocation-timeout", c.invocationTimeout()),
                duration("broker.cleanup-reserve", c.cleanupReserve()));
    }

    /**
     * A duration setting as operators have always written it: a whole number of seconds
     * ({@code 30}), with units ({@code 30s}, {@code 2m}, {@code 1h30m}, {@code 30d}) or ISO-8601
     * ({@code PT30S}); positive and at most ten years.
     */
    public static Duration duration(String key, @Nullable String text) {
        if (blank(text)) {
            throw new IllegalArgumentException(Settings.variable(key) + " is empty: set a duration such as 30s, 10m or 1h");
        }
        try {
            return Durations.parse(text, ChronoUnit.SECONDS);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(Settings.variable(key) + ": " + e.getMessage());
        }
    }

    private static long number(String key, @Nullable String text) {
        String s = text == null ? "" : text.strip();
        if (!WHOLE.matcher(s).matches()) {
            throw Settings.invalid(key, "must be a whole number", text);
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw Settings.invalid(key, "must be a whole number", text);
        }
    }

    private static long number(String key, @Nullable String text, long least, long most) {
        long n = number(key, text);
        if (n < least || n > most) {
            throw Settings.invalid(key, most == Integer.MAX_VALUE ? "must be at least " + least
                    : "must be between " + least + " and " + most, text);
        }
        return n;
    }

    private static boolean blank(@Nullable String s) {
        return s == null || s.isBlank();
    }
}
