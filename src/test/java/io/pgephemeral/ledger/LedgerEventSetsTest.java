package io.pgephemeral.ledger;

import io.pgephemeral.testing.Db;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sets of events the broker's guards and queries use are defined once, in {@link LedgerEntry};
 * the one the database enforces (V3's one-close-per-credential index) must be the same set, or a
 * guard would let through what the index refuses, or the other way round.
 */
class LedgerEventSetsTest {

    private static Set<String> events(String sql) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("'([a-z]+)'").matcher(sql);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void theClosingEventsAreThoseTheDatabaseAllowsOnceEach() {
        String index = (String) Db.value("SELECT indexdef FROM pg_indexes WHERE schemaname = 'ephemeral'"
                + " AND indexname = 'ledger_event_one_close_per_credential'");
        assertEquals(events(index.substring(index.indexOf("WHERE"))), events(LedgerEntry.CLOSING_SQL));
    }

    @Test
    void theSetsNestAsTheirMeaningsSay() {
        Set<String> ended = events(LedgerEntry.ENDED_SQL);
        assertTrue(ended.containsAll(events(LedgerEntry.CLOSING_SQL)));
        assertTrue(events(LedgerEntry.CLOSING_SQL).containsAll(events(LedgerEntry.RUN_ENDING_SQL)));
        assertEquals(Set.of(LedgerEntry.RECONCILED),
                difference(ended, events(LedgerEntry.CLOSING_SQL)), "reconciled ends a credential but closes nothing");
        assertEquals(Set.of(LedgerEntry.FAILED), difference(events(LedgerEntry.CLOSING_SQL),
                events(LedgerEntry.RUN_ENDING_SQL)), "a failed attempt does not end its run");
        assertEquals(Set.of(LedgerEntry.REQUESTED, LedgerEntry.ISSUED), events(LedgerEntry.OPEN_SQL));
    }

    private static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.removeAll(b);
        return out;
    }
}
