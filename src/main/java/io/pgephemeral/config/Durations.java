package io.pgephemeral.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads durations the way people and Sym write them: a whole number in a given unit ({@code 3600},
 * {@code "30"}), a number with units ({@code 30m}, {@code 1h}, {@code 1h30m}, {@code 90s},
 * {@code 2d}), or ISO-8601 ({@code PT30M}). Zero, negative, fractional and malformed values are
 * refused with a message that says what was expected.
 */
public final class Durations {

    /** Ten years: anything longer is a typo, and refusing it early keeps arithmetic in range. */
    private static final Duration LONGEST = Duration.ofDays(3650);
    private static final Pattern DIGITS = Pattern.compile("\\d{1,12}");
    private static final Pattern WITH_UNITS =
            Pattern.compile("(?:(\\d{1,6})d)?(?:(\\d{1,7})h)?(?:(\\d{1,9})m)?(?:(\\d{1,11})s)?");

    private Durations() {
    }

    /**
     * Reads a unit name: seconds, minutes or hours (singular, plural or s/m/h); empty for anything
     * else, so that the caller, who knows where the name came from, says what is wrong.
     */
    public static Optional<ChronoUnit> unit(String name) {
        return Optional.ofNullable(switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT)) {
            case "s", "sec", "second", "seconds" -> ChronoUnit.SECONDS;
            case "m", "min", "minute", "minutes" -> ChronoUnit.MINUTES;
            case "h", "hour", "hours" -> ChronoUnit.HOURS;
            default -> null;
        });
    }

    /** Parses a JSON value (number or string); a bare number is read in {@code unit}. */
    public static Duration parse(Object value, ChronoUnit unit) {
        if (value == null) {
            throw new IllegalArgumentException("duration is missing");
        }
        if (value instanceof Number n) {
            return ofWhole(wholeNumber(n), unit, value);
        }
        if (value instanceof String s) {
            return parse(s, unit);
        }
        throw new IllegalArgumentException("duration must be a number or a string such as 30m, 1h or PT30M");
    }

    /** Parses text; a bare number is read in {@code unit}. */
    public static Duration parse(String text, ChronoUnit unit) {
        String s = text.trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("duration is empty");
        }
        if (s.startsWith("-")) {
            throw new IllegalArgumentException("duration must be positive, got '" + shorten(s) + "'");
        }
        if (DIGITS.matcher(s).matches()) {
            return ofWhole(new BigInteger(s), unit, s);
        }
        if (s.charAt(0) == 'P' || s.charAt(0) == 'p') {
            return iso(s);
        }
        Matcher m = WITH_UNITS.matcher(s.toLowerCase(Locale.ROOT));
        if (!m.matches() || s.isEmpty() || (m.group(1) == null && m.group(2) == null
                && m.group(3) == null && m.group(4) == null)) {
            throw new IllegalArgumentException("duration '" + shorten(s)
                    + "' is not understood: use a whole number, 30m, 1h, 1h30m or PT30M");
        }
        Duration d = Duration.ZERO
                .plusDays(part(m.group(1)))
                .plusHours(part(m.group(2)))
                .plusMinutes(part(m.group(3)))
                .plusSeconds(part(m.group(4)));
        return positive(d, s);
    }

    private static Duration iso(String s) {
        Duration d;
        try {
            d = Duration.parse(s.toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("duration '" + shorten(s) + "' is not a valid ISO-8601 duration");
        }
        if (d.getNano() != 0) {
            throw new IllegalArgumentException("duration '" + shorten(s) + "' must be whole seconds");
        }
        return positive(d, s);
    }

    private static BigInteger wholeNumber(Number n) {
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte) {
            return BigInteger.valueOf(n.longValue());
        }
        if (n instanceof BigInteger b) {
            return b;
        }
        BigDecimal d = n instanceof BigDecimal bd ? bd : new BigDecimal(n.toString());
        try {
            return d.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("duration must be a whole number, got " + n);
        }
    }

    private static Duration ofWhole(BigInteger amount, ChronoUnit unit, Object original) {
        if (amount.signum() <= 0) {
            throw new IllegalArgumentException("duration must be positive, got " + shorten(original.toString()));
        }
        BigInteger seconds = amount.multiply(BigInteger.valueOf(unit.getDuration().getSeconds()));
        if (seconds.compareTo(BigInteger.valueOf(LONGEST.getSeconds())) > 0) {
            throw new IllegalArgumentException("duration " + shorten(original.toString()) + " is longer than ten years");
        }
        return Duration.ofSeconds(seconds.longValueExact());
    }

    private static long part(String digits) {
        return digits == null ? 0 : Long.parseLong(digits);
    }

    private static Duration positive(Duration d, String original) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("duration must be positive, got '" + shorten(original) + "'");
        }
        if (d.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException("duration '" + shorten(original) + "' is longer than ten years");
        }
        return d;
    }

    /** Echoes at most 40 characters of what was sent, so an error line stays one short line. */
    private static String shorten(String s) {
        String oneLine = s.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() <= 40 ? oneLine : oneLine.substring(0, 40) + "...";
    }

    /** Formats a duration for people: {@code 1h30m}, {@code 45s}. */
    public static String format(Duration d) {
        long s = d.getSeconds();
        StringBuilder out = new StringBuilder();
        if (s >= 86400) { out.append(s / 86400).append('d'); s %= 86400; }
        if (s >= 3600) { out.append(s / 3600).append('h'); s %= 3600; }
        if (s >= 60) { out.append(s / 60).append('m'); s %= 60; }
        if (s > 0 || out.length() == 0) { out.append(s).append('s'); }
        return out.toString();
    }
}
