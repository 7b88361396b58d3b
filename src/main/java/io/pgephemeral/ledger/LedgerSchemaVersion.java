package io.pgephemeral.ledger;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.database.Sql;
import jakarta.inject.Singleton;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Checks, once per process and before the first use of the ledger, that the ledger is at the
 * version this broker needs ({@link LedgerMigrations#VERSION}). Without it a broker newer than its
 * ledger failed on the first statement that met a missing column ("the ledger is unavailable:
 * ERROR: column "hash" does not exist"), after it had read the ledger and possibly written to it.
 *
 * <p>The broker's ledger user may not read Flyway's history; every {@code migrate} leaves a view,
 * {@code ledger_schema_version}, that shows it the newest applied version (afterMigrate.sql).
 * A failed check is not remembered: once someone runs {@code migrate}, the next event passes.
 */
@Singleton
public class LedgerSchemaVersion {

    private final DataSource ledger;
    private final LedgerTable table;
    private volatile boolean current;

    @jakarta.inject.Inject
    public LedgerSchemaVersion(LedgerDataSourceFactory.LedgerPool pool) {
        this(pool.pool(), LedgerTable.DEFAULT);
    }

    LedgerSchemaVersion(DataSource ledger, LedgerTable table) {
        this.ledger = ledger;
        this.table = table;
    }

    /** Returns if the ledger is recent enough; else one line that says what to do. */
    public void requireCurrent() {
        if (current) {
            return;
        }
        int version = read();
        if (version < LedgerMigrations.VERSION) {
            throw new BrokerException("the ledger is at version " + version + ", this broker needs "
                    + LedgerMigrations.VERSION + ": run migrate");
        }
        current = true;
    }

    private int read() {
        try (Connection c = ledger.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout(10);
            try (ResultSet r = s.executeQuery("SELECT to_regclass(" + Sql.literal(table.events()) + ") IS NOT NULL,"
                    + " to_regclass(" + Sql.literal(table.schemaVersion()) + ") IS NOT NULL")) {
                r.next();
                if (!r.getBoolean(1)) {
                    throw new BrokerException("the ledger has no tables yet: run 'pg-ephemeral migrate' against the"
                            + " ledger database");
                }
                if (!r.getBoolean(2)) {
                    throw new BrokerException("the ledger does not say its version (it was last migrated by an older"
                            + " pg-ephemeral); this broker needs version " + LedgerMigrations.VERSION + ": run migrate");
                }
            }
            try (ResultSet r = s.executeQuery("SELECT version FROM " + table.schemaVersion())) {
                return r.next() ? r.getInt(1) : 0;
            }
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new BrokerException("the ledger's version cannot be read by the broker's ledger user: "
                        + Ledger.rootMessage(e) + " (run migrate with --writer set to that user)", e);
            }
            // As for any other ledger read: no ledger, no credential, and the same words for why.
            throw Ledger.unavailable(e);
        }
    }
}
