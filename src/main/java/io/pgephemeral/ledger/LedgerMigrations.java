package io.pgephemeral.ledger;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

import java.util.Map;

/**
 * Applies {@code schema/migrations} to the ledger database. Run by an operator ({@code migrate})
 * or a deploy step, never at function start: a Lambda cold start should not pay for it.
 */
public final class LedgerMigrations {

    public static final String SCHEMA = "ephemeral";

    private LedgerMigrations() {
    }

    /**
     * @param writer the role the broker writes the ledger as; it gets INSERT and SELECT only
     * @return the number of migrations applied
     */
    public static int migrate(String jdbcUrl, String user, String password, String writer) {
        return migrate(jdbcUrl, user, password, writer, SCHEMA);
    }

    /** The same into another schema: a second ledger, e.g. a copy to restore a backup into and verify. */
    public static int migrate(String jdbcUrl, String user, String password, String writer, String schema) {
        // Flyway pastes placeholders into the SQL as they are: allow plain role names only.
        if (!writer.matches("[a-z_][a-z0-9_$]{0,62}")) {
            throw new IllegalArgumentException("ledger writer '" + writer + "' is not a plain lower-case role name");
        }
        MigrateResult result = Flyway.configure()
                .dataSource(jdbcUrl, user, password)
                .locations("classpath:schema/migrations")
                .schemas(schema)
                .placeholders(Map.of("ledger_writer", writer))
                .load()
                .migrate();
        return result.migrationsExecuted;
    }
}
