package io.pgephemeral.ledger;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Working hours as the access review counts them: local days and hours, daylight saving included. */
class WorkingHoursTest {

    private static final WorkingHours BERLIN = WorkingHours.parse("08:00-18:00", "MON-FRI", "Europe/Berlin");

    @Test
    void timeOutsideIsCountedPerLocalDay() {
        // Friday 2026-03-06 17:00 to Monday 09:00, Berlin (UTC+1): 1 h inside on Friday, 1 h on Monday.
        Instant from = Instant.parse("2026-03-06T16:00:00Z");
        Instant to = Instant.parse("2026-03-09T08:00:00Z");
        assertEquals(Duration.between(from, to).minusHours(2), BERLIN.outside(from, to));
        assertEquals(Duration.ZERO, BERLIN.outside(Instant.parse("2026-03-03T08:00:00Z"), Instant.parse("2026-03-03T09:00:00Z")));
    }

    @Test
    void theDaylightSavingChangeMovesTheWorkingDayInUtc() {
        // Monday 2026-03-30 is in summer time (UTC+2): 06:30 to 07:30 UTC is 08:30 to 09:30 local, inside.
        assertEquals(Duration.ZERO, BERLIN.outside(Instant.parse("2026-03-30T06:30:00Z"), Instant.parse("2026-03-30T07:30:00Z")));
        // The Monday before, in winter time (UTC+1), the same UTC hour is 07:30 to 08:30: half outside.
        assertEquals(Duration.ofMinutes(30),
                BERLIN.outside(Instant.parse("2026-03-23T06:30:00Z"), Instant.parse("2026-03-23T07:30:00Z")));
        assertTrue(BERLIN.within(Instant.parse("2026-03-30T06:30:00Z")));
        assertFalse(BERLIN.within(Instant.parse("2026-03-23T06:30:00Z")));
    }

    @Test
    void daysAndHoursAreReadAndDescribed() {
        WorkingHours h = WorkingHours.parse("07:30-24:00", "SUN,MON-WED,FRI", "UTC");
        assertEquals("MON-WED,FRI,SUN 07:30-24:00 UTC", h.describe());
        assertTrue(h.within(Instant.parse("2026-03-01T23:59:00Z"))); // a Sunday
        assertFalse(h.within(Instant.parse("2026-03-05T12:00:00Z"))); // a Thursday
        assertThrows(IllegalArgumentException.class, () -> WorkingHours.parse("18:00-08:00", "MON-FRI", "UTC"));
        assertThrows(IllegalArgumentException.class, () -> WorkingHours.parse("08:00-18:00", "MON-XYZ", "UTC"));
        assertThrows(IllegalArgumentException.class, () -> WorkingHours.parse("08:00-18:00", "MON-FRI", "Mars/Base"));
    }
}
