package io.pgephemeral.cli;

import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.ledger.LedgerMigrations;
import io.pgephemeral.postgres.DatabaseTls;
import io.pgephemeral.secrets.BotPassword;
import jakarta.inject.Inject;

import static io.pgephemeral.config.BrokerConfig.firstSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "migrate",
        description = {"Create or upgrade the ledger in the ledger database.", "",
                "The ledger lives in schema 'ephemeral'. Run it as a role that should own the ledger, not "
                + "as the bot: the bot then gets INSERT and SELECT only, and cannot rewrite history. The "
                + "password comes from PGPASSWORD, or else the bot's configured password; it is never an "
                + "option."},
        mixinStandardHelpOptions = true)
public class MigrateCommand implements Callable<Integer> {

    @Option(names = "--url", description = "JDBC URL of the ledger database (default: BROKER_LEDGER_URL, else BROKER_DB_URL)")
    String url;

    @Option(names = "--user", description = "role that runs the migrations and owns the ledger (default: the ledger user)")
    String user;

    @Option(names = "--writer", description = "role the broker writes the ledger as (default: BROKER_LEDGER_USER, else BROKER_DB_USER)")
    String writer;

    @Inject
    BrokerConfig config;

    @Inject
    BotPassword botPassword;

    @Override
    public Integer call() {
        String ledgerUser = config.ledgerRole();
        String jdbcUrl = firstSet(url, config.ledgerJdbcUrl());
        String owner = firstSet(user, ledgerUser);
        String writerRole = firstSet(writer, ledgerUser);
        if (jdbcUrl == null || owner == null || writerRole == null) {
            System.err.println("migrate: set --url and --user (or BROKER_LEDGER_URL / BROKER_DB_URL and BROKER_DB_USER)");
            return 2;
        }
        String password = System.getenv("PGPASSWORD");
        if (password == null) {
            password = firstSet(config.ledgerPassword(), null);
        }
        if (password == null) {
            password = botPassword.resolve();
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
        } catch (RuntimeException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            System.err.println("migrate failed: " + DatabaseTls.explain(e).orElse(m.lines().findFirst().orElse(m)));
            return 1;
        }
    }
}
