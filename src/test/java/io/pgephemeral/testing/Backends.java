package io.pgephemeral.testing;

import java.time.Duration;
import java.time.Instant;

/** The broker's own backends, seen from another session. */
public final class Backends {

    /** The application_name of the broker's pool on the target database, and of its ledger pool. */
    private static final String TARGET_POOL = "pg-ephemeral";
    private static final String LEDGER_POOL = "pg-ephemeral ledger";

    private Backends() {
    }

    /** Waits until one of the broker's sessions is blocked on an advisory lock; returns its pid. */
    public static int awaitBrokerWaitingForLock() throws InterruptedException {
        awaitWaiting(TARGET_POOL, 1);
        return ((Number) Db.value("SELECT pid FROM pg_stat_activity WHERE application_name = ?"
                + " AND wait_event_type = 'Lock' AND wait_event = 'advisory' LIMIT 1", TARGET_POOL)).intValue();
    }

    /** Waits until {@code n} ledger writers of any broker are blocked on the ledger's chain lock. */
    public static void awaitLedgerWriters(int n) throws InterruptedException {
        awaitWaiting(LEDGER_POOL, n);
    }

    private static void awaitWaiting(String pool, int n) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
        while (Instant.now().isBefore(deadline)) {
            Object waiting = Db.value("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?"
                    + " AND wait_event_type = 'Lock' AND wait_event = 'advisory'", pool);
            if (((Number) waiting).intValue() >= n) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("fewer than " + n + " sessions of " + pool + " ever waited for an advisory lock");
    }

    public static void terminate(int pid) {
        Db.value("SELECT pg_terminate_backend(?)", pid);
    }
}
