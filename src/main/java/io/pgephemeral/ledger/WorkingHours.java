package io.pgephemeral.ledger;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * When access is expected: from {@code start} to {@code end} local time on the working days, in one
 * time zone. Days are walked in that zone, so a daylight-saving change shortens or lengthens the
 * day as the wall clock does.
 */
public record WorkingHours(LocalTime start, LocalTime end, Set<DayOfWeek> days, ZoneId zone) {

    public WorkingHours {
        if (!start.isBefore(end)) {
            throw new IllegalArgumentException("working hours must start before they end, e.g. 08:00-18:00");
        }
        days = Set.copyOf(days);
    }

    /** {@code 08:00-18:00}. */
    public static WorkingHours parse(String hours, String days, String zone) {
        String[] parts = hours.split("-", -1);
        LocalTime from;
        LocalTime to;
        try {
            if (parts.length != 2) {
                throw new IllegalArgumentException();
            }
            from = LocalTime.parse(parts[0].strip());
            to = parts[1].strip().equals("24:00") ? LocalTime.MAX : LocalTime.parse(parts[1].strip());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("working hours '" + hours + "' are not HH:MM-HH:MM, e.g. 08:00-18:00");
        }
        ZoneId id;
        try {
            id = ZoneId.of(zone.strip());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("time zone '" + zone + "' is not a zone id such as UTC or Europe/Berlin");
        }
        return new WorkingHours(from, to, parseDays(days), id);
    }

    /** {@code MON-FRI}, {@code MON,TUE,THU} or a mix; three-letter English names. */
    static Set<DayOfWeek> parseDays(String text) {
        EnumSet<DayOfWeek> out = EnumSet.noneOf(DayOfWeek.class);
        for (String item : text.split(",")) {
            String[] range = item.strip().split("-", -1);
            if (range.length < 1 || range.length > 2) {
                throw badDays(text);
            }
            DayOfWeek first = day(range[0], text);
            DayOfWeek last = range.length == 2 ? day(range[1], text) : first;
            for (DayOfWeek d = first; ; d = d.plus(1)) {
                out.add(d);
                if (d == last) {
                    break;
                }
            }
        }
        return out;
    }

    private static DayOfWeek day(String name, String text) {
        String n = name.strip().toUpperCase(Locale.ROOT);
        for (DayOfWeek d : DayOfWeek.values()) {
            if (n.length() == 3 && d.name().startsWith(n)) {
                return d;
            }
        }
        throw badDays(text);
    }

    private static IllegalArgumentException badDays(String text) {
        return new IllegalArgumentException("working days '" + text + "' are not like MON-FRI or MON,TUE,THU");
    }

    /** How much of [from, to) falls outside working hours. */
    public Duration outside(Instant from, Instant to) {
        if (!from.isBefore(to)) {
            return Duration.ZERO;
        }
        Duration total = Duration.between(from, to);
        Duration inside = Duration.ZERO;
        LocalDate day = from.atZone(zone).toLocalDate();
        LocalDate last = to.atZone(zone).toLocalDate();
        for (; !day.isAfter(last); day = day.plusDays(1)) {
            if (!days.contains(day.getDayOfWeek())) {
                continue;
            }
            Instant open = ZonedDateTime.of(day, start, zone).toInstant();
            Instant close = end == LocalTime.MAX ? day.plusDays(1).atStartOfDay(zone).toInstant()
                    : ZonedDateTime.of(day, end, zone).toInstant();
            Instant a = open.isAfter(from) ? open : from;
            Instant b = close.isBefore(to) ? close : to;
            if (a.isBefore(b)) {
                inside = inside.plus(Duration.between(a, b));
            }
        }
        return total.minus(inside);
    }

    /** Whether {@code at} is within working hours. */
    public boolean within(Instant at) {
        ZonedDateTime local = at.atZone(zone);
        LocalTime t = local.toLocalTime();
        return days.contains(local.getDayOfWeek()) && !t.isBefore(start) && (end == LocalTime.MAX || t.isBefore(end));
    }

    /** {@code MON-FRI 08:00-18:00 Europe/Berlin}, for the report. */
    public String describe() {
        StringBuilder d = new StringBuilder();
        DayOfWeek[] all = DayOfWeek.values();
        int i = 0;
        while (i < all.length) {
            if (!days.contains(all[i])) {
                i++;
                continue;
            }
            int j = i;
            while (j + 1 < all.length && days.contains(all[j + 1])) {
                j++;
            }
            if (d.length() > 0) {
                d.append(',');
            }
            d.append(abbr(all[i]));
            if (j > i) {
                d.append('-').append(abbr(all[j]));
            }
            i = j + 1;
        }
        return d + " " + start + "-" + (end == LocalTime.MAX ? "24:00" : end.toString()) + " " + zone.getId();
    }

    private static String abbr(DayOfWeek d) {
        return d.name().substring(0, 3);
    }
}
