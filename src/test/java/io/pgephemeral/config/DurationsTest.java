package io.pgephemeral.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.temporal.ChronoUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({"30,30", "3600,3600", "30m,1800", "1h,3600", "1H,3600", "90s,90", "2d,172800", "1h30m,5400",
            "PT30M,1800", "pt1h,3600", "P1D,86400", " 45m ,2700"})
    void readsEveryForm(String text, long seconds) {
        assertEquals(Duration.ofSeconds(seconds), Durations.parse(text, ChronoUnit.SECONDS));
    }

    @Test
    void readsNumbersInTheConfiguredUnit() {
        assertEquals(Duration.ofMinutes(30), Durations.parse(30, ChronoUnit.MINUTES));
        assertEquals(Duration.ofMinutes(30), Durations.parse("30", ChronoUnit.MINUTES));
        assertEquals(Duration.ofSeconds(30), Durations.parse(30L, ChronoUnit.SECONDS));
        assertEquals(Duration.ofSeconds(30), Durations.parse(new BigDecimal("30.0"), ChronoUnit.SECONDS));
        assertEquals(Duration.ofHours(2), Durations.parse(2, Durations.unit("hours").orElseThrow()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "-5m", "", " ", "abc", "1x", "m", "PT0S", "PT-5M", "P", "PT0.5S", "1.5",
            "1h-30m", "99999999999", "P99999D", "30 m"})
    void refusesTheRest(String text) {
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(text, ChronoUnit.SECONDS));
    }

    @Test
    void refusesNonNumbersAndFractions() {
        assertThrows(IllegalArgumentException.class, () -> Durations.parse((Object) null, ChronoUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(1.5, ChronoUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(true, ChronoUnit.SECONDS));
        assertTrue(Durations.unit("fortnights").isEmpty());
    }

    @Test
    void formatsForPeople() {
        assertEquals("1h30m", Durations.format(Duration.ofMinutes(90)));
        assertEquals("1d", Durations.format(Duration.ofDays(1)));
        assertEquals("45s", Durations.format(Duration.ofSeconds(45)));
    }
}
