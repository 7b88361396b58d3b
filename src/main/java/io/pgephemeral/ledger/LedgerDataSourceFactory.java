package io.pgephemeral.ledger;

import com.zaxxer.hikari.HikariDataSource;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.database.DatabaseTls;
import io.pgephemeral.database.LoginPassword;
import io.pgephemeral.database.Pools;
import jakarta.inject.Singleton;

import java.util.Map;

/**
 * The ledger's connections, reads and writer. By default the ledger lives in the target
 * database and the bot writes it; {@code BROKER_LEDGER_URL} moves it elsewhere.
 */
@Factory
public class LedgerDataSourceFactory {

    /** Owns the pool, so that closing the context closes it (Micronaut wraps the DataSource bean). */
    public record LedgerPool(HikariDataSource pool)
            implements AutoCloseable, io.pgephemeral.database.SnapshotConnections {
        @Override
        public String poolName() {
            return "ledger";
        }

        /** See {@link io.pgephemeral.database.Pools#closeIdle}. */
        @Override
        public boolean closeIdleConnections() {
            return io.pgephemeral.database.Pools.closeIdle(pool);
        }

        @Override
        public void close() {
            pool.close();
        }
    }

    @Singleton
    @Bean(preDestroy = "close")
    LedgerPool ledgerPool(BrokerConfig config, LoginPassword botPassword) {
        String url = config.ledgerJdbcUrl();
        if (url == null) {
            throw new IllegalStateException("BROKER_LEDGER_URL or BROKER_DB_URL must be set");
        }
        url = DatabaseTls.of(config).secure(url, config.ledgerUrl() != null && !config.ledgerUrl().isBlank()
                ? "BROKER_LEDGER_URL" : "BROKER_DB_URL");
        String password = BrokerConfig.firstSet(config.ledgerPassword(), null);
        LoginPassword login = password != null
                ? LoginPassword.fixed(password, "BROKER_LEDGER_PASSWORD")
                : botPassword;
        // The sweep appends its closes as one batch: sent as one multi-row INSERT, the ledger's
        // statement-level trigger runs once for the batch instead of once per row.
        return new LedgerPool(Pools.start("ledger", "pg-ephemeral ledger", 2,
                Map.of("reWriteBatchedInserts", "true"), url, config.ledgerRole(), login));
    }

    /** The ledger's writer works on the pool itself: it runs its own transaction around the lock. */
    @Singleton
    LedgerChain ledgerChain(LedgerPool pool) {
        return new LedgerChain(io.pgephemeral.database.BoundedConnections.of(pool.pool()), LedgerTable.DEFAULT);
    }

    /** Every read of the ledger waits no longer than the invocation may. */
    @Singleton
    LedgerReads ledgerReads(LedgerPool pool) {
        return new LedgerReads(io.pgephemeral.database.BoundedConnections.of(pool.pool()), LedgerTable.DEFAULT);
    }
}
