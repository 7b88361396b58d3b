package io.pgephemeral.database;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;

/** What the broker needs of its connection pools beyond handing out connections. */
public final class Pools {

    private static final long CLOSE_WAIT_MS = 5_000;

    private Pools() {
    }

    /**
     * Closes every idle connection and waits until they are closed (Hikari closes them on a
     * thread of its own). Before a SnapStart snapshot: a connection frozen into a snapshot would
     * be shared by every environment restored from it, and its server session is long gone by
     * then. Returns false if connections were still open, or in use, when the wait ran out.
     */
    public static boolean closeIdle(HikariDataSource pool) {
        HikariPoolMXBean bean = pool.getHikariPoolMXBean();
        if (bean == null) {
            return true; // never started: nothing to close
        }
        bean.softEvictConnections();
        long deadline = System.nanoTime() + CLOSE_WAIT_MS * 1_000_000;
        while (bean.getTotalConnections() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
