package io.pgephemeral.database;

import com.zaxxer.hikari.HikariConfig;
import java.util.Map;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;

/** What the broker needs of its connection pools beyond handing out connections. */
public final class Pools {

    private static final long CLOSE_WAIT_MS = 5_000;

    private Pools() {
    }

    /**
     * Starts one of the broker's pools: the target database's or the ledger's. A Lambda instance
     * serves one invocation at a time, so pools are tiny and keep no idle connection by rule; what
     * they share is set here once.
     *
     * @param name            the pool's name in Hikari's log lines and metrics
     * @param applicationName what {@code pg_stat_activity.application_name} shows for its sessions
     * @param driverSettings  pgjdbc settings of this pool alone
     */
    public static HikariDataSource start(String name, String applicationName, int maxConnections,
                                         Map<String, String> driverSettings, String url, String user,
                                         LoginPassword password) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setMaximumPoolSize(maxConnections);
        config.setMinimumIdle(0);
        // Fail at first use with the server's own message rather than at start-up.
        config.setInitializationFailTimeout(-1);
        config.setConnectionTimeout(10_000);
        config.addDataSourceProperty("ApplicationName", applicationName);
        // Lets the kernel notice a connection whose server vanished (a failover) while it is idle.
        config.addDataSourceProperty("tcpKeepAlive", "true");
        config.addDataSourceProperty("connectTimeout", "5");
        driverSettings.forEach(config::addDataSourceProperty);
        return LoginDataSource.startPool(config, url, user, password);
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
