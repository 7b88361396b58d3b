package io.pgephemeral.cli;

import io.pgephemeral.broker.ErrorLine;
import io.pgephemeral.secrets.BotPassword;
import io.pgephemeral.config.BrokerConfig;
import jakarta.inject.Inject;
import picocli.CommandLine.Mixin;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;

/**
 * What every {@code ledger} command shares: the login, and turning any failure into one line on
 * stderr. Exit status 2 means the command could not run (bad input, no connection, no privilege).
 */
abstract class LedgerSubcommand implements Callable<Integer> {

    static final int CANNOT_RUN = 2;

    @Mixin
    LedgerLogin login;

    @Inject
    BrokerConfig config;

    @Inject
    BotPassword botPassword;

    @Inject
    ProcessEnvironment process;

    abstract String name();

    abstract int run(Connection ledger) throws Exception;

    /** Checks the options before connecting, so bad input fails without touching the database. */
    void validate() {
    }

    @Override
    public Integer call() {
        try {
            validate();
            login.table();
            try (Connection c = login.open(config, botPassword, process)) {
                return run(c);
            }
        } catch (LedgerLogin.Unusable | IllegalStateException e) {
            return fail(e.getMessage());
        } catch (SQLException e) {
            return fail(explain(e));
        } catch (Exception e) {
            return fail(firstLine(e));
        }
    }

    int fail(String message) {
        System.err.println("ledger " + name() + ": " + message);
        return CANNOT_RUN;
    }

    private String explain(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return switch (state) {
            case "42P01" -> "no audit views in schema " + login.schema
                    + ": run 'pg-ephemeral migrate' against the ledger database (" + firstLine(e) + ")";
            case "42501" -> "permission denied: the login needs the ephemeral_auditor role (" + firstLine(e) + ")";
            case "28P01", "28000" -> "could not log in: " + firstLine(e);
            default -> io.pgephemeral.database.DatabaseTls.explain(e).orElseGet(() -> firstLine(e));
        };
    }

    static String firstLine(Exception e) {
        return ErrorLine.of(e);
    }
}
