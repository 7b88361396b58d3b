package io.pgephemeral.cli;

import io.pgephemeral.broker.ErrorLine;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.ledger.LedgerMigrations;
import io.pgephemeral.database.DatabaseTls;
import jakarta.inject.Inject;

import static io.pgephemeral.config.BrokerConfig.firstSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "migrate",
        description = {"Create or upgrade the ledger in the ledger database.", "",
                "The ledger lives in schema 'ephemeral'. Run it as a role that should own the ledger, never "
                + "as the bot (refused): the bot then gets INSERT and SELECT only, and cannot rewrite "
                + "history. schema/setup/ledger-owner.sql creates such an owner with what it needs. The "
                + "password comes from PGPASSWORD, or else BROKER_LEDGER_PASSWORD; it is never an option.", "",
                "Exit status 0 when the ledger is up to date, 1 when a migration failed (the line says "
                + "the server's SQLSTATE and message, and what to do), 2 when refused before starting."},
        mixinStandardHelpOptions = true)
public class MigrateCommand implements Callable<Integer> {

    @Option(names = "--url", description = "JDBC URL of the ledger database (default: BROKER_LEDGER_URL, else BROKER_DB_URL)")
    String url;

    @Option(names = "--user", description = "role that runs the migrations and owns the ledger; not the bot "
            + "(default: PGUSER, else the user in --url)")
    String user;

    @Option(names = "--writer", description = "role the broker writes the ledger as (default: BROKER_LEDGER_USER, else BROKER_DB_USER)")
    String writer;

    @Inject
    BrokerConfig config;

    @Inject
    ProcessEnvironment process;

    @Override
    public Integer call() {
        String ledgerUser = config.ledgerRole();
        String jdbcUrl = firstSet(url, config.ledgerJdbcUrl());
        // The owner never defaults to the bot: a bot that owns ledger_event can disable its
        // append-only trigger. It is who you say, or who libpq's PGUSER or the URL says.
        String owner = firstSet(user, process.get("PGUSER"));
        String writerRole = firstSet(writer, ledgerUser);
        if (jdbcUrl == null || writerRole == null) {
            System.err.println("migrate: set --url and --writer (or BROKER_LEDGER_URL / BROKER_DB_URL and BROKER_DB_USER)");
            return 2;
        }
        if (owner == null && !jdbcUrl.matches(".*[?&]user=.*")) {
            System.err.println("migrate: give --user: the role that should own the ledger, not the bot ("
                    + writerRole + "); see schema/setup/ledger-owner.sql");
            return 2;
        }
        String password = process.get("PGPASSWORD");
        if (password == null) {
            password = firstSet(config.ledgerPassword(), null);
        }
        try {
            jdbcUrl = DatabaseTls.of(config).secure(jdbcUrl, url != null ? "--url" : "BROKER_LEDGER_URL / BROKER_DB_URL");
        } catch (IllegalStateException e) {
            System.err.println("migrate: " + e.getMessage());
            return 2;
        }
        try {
            int applied = LedgerMigrations.migrate(jdbcUrl, owner, password, writerRole);
            System.out.println("ledger is up to date (" + applied + " migration" + (applied == 1 ? "" : "s")
                    + " applied); the broker writes it as " + writerRole);
            return 0;
        } catch (LedgerMigrations.UnsafeOwner e) {
            System.err.println("migrate: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            System.err.println("migrate failed: " + DatabaseTls.explain(e).orElseGet(() -> ErrorLine.of(e)));
            return 1;
        }
    }
}
