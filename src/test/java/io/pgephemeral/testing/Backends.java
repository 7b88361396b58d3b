package io.pgephemeral.testing;

import java.time.Duration;
import java.time.Instant;

/** The broker's own backends, seen from another session. */
public final class Backends {

    private Backends() {
    }

    /** Waits until one of the broker's sessions is blocked on an advisory lock; returns its pid. */
    public static int awaitBrokerWaitingForLock() throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
        while (Instant.now().isBefore(deadline)) {
            Object pid = Db.value("SELECT pid FROM pg_stat_activity WHERE application_name = 'pg-ephemeral'"
                    + " AND wait_event_type = 'Lock' AND wait_event = 'advisory'");
            if (pid != null) {
                return (Integer) pid;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the broker never waited for the advisory lock");
    }

    public static void terminate(int pid) {
        Db.value("SELECT pg_terminate_backend(?)", pid);
    }
}
