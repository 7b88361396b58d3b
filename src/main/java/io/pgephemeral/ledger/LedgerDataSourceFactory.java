package io.pgephemeral.ledger;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.database.DatabaseTls;
import io.pgephemeral.database.LoginDataSource;
import io.pgephemeral.database.LoginPassword;
import jakarta.inject.Singleton;


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
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("ledger");
        String password = BrokerConfig.firstSet(config.ledgerPassword(), null);
        LoginPassword login = password != null
                ? LoginPassword.fixed(password, "BROKER_LEDGER_PASSWORD")
                : botPassword;
        hikari.setMaximumPoolSize(2);
        hikari.setMinimumIdle(0);
        hikari.setInitializationFailTimeout(-1);
        hikari.setConnectionTimeout(10_000);
        hikari.addDataSourceProperty("ApplicationName", "pg-ephemeral ledger");
        // The sweep appends its closes as one batch: sent as one multi-row INSERT, the ledger's
        // statement-level trigger runs once for the batch instead of once per row.
        hikari.addDataSourceProperty("reWriteBatchedInserts", "true");
        hikari.addDataSourceProperty("tcpKeepAlive", "true");
        hikari.addDataSourceProperty("connectTimeout", "5");
        return new LedgerPool(LoginDataSource.startPool(hikari, url, config.ledgerRole(), login));
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
