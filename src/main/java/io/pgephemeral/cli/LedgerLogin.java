package io.pgephemeral.cli;

import io.pgephemeral.secrets.BotPassword;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.ledger.LedgerMigrations;
import io.pgephemeral.ledger.LedgerTable;
import io.pgephemeral.database.DatabaseTls;
import io.pgephemeral.database.LoginDataSource;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

import static io.pgephemeral.config.BrokerConfig.firstSet;

/**
 * How the {@code ledger} commands reach the ledger: the broker's configuration by default, or an
 * auditor's own login. The password comes from PGPASSWORD; only when logging in as the broker's
 * own ledger user does it fall back to the broker's configured password. It is never an option,
 * which would put it on a command line.
 */
public class LedgerLogin {

    @Option(names = "--url", description = "JDBC URL of the ledger database (default: BROKER_LEDGER_URL, else BROKER_DB_URL)")
    String url;

    @Option(names = "--user", description = "who logs in, e.g. your own login with ephemeral_auditor (default: the broker's ledger user); password from PGPASSWORD")
    String user;

    @Option(names = "--schema", defaultValue = LedgerMigrations.SCHEMA,
            description = "schema of the ledger, e.g. a restored copy (default: ${DEFAULT-VALUE})")
    String schema;

    /** Something the user must fix before a command can run; one line, exit status 2. */
    static final class Unusable extends RuntimeException {
        Unusable(String message) {
            super(message);
        }
    }

    LedgerTable table() {
        if (schema == null || schema.isBlank()) {
            throw new Unusable("--schema must not be empty");
        }
        return new LedgerTable(schema);
    }

    /** A read-only connection to the ledger. */
    Connection open(BrokerConfig config, BotPassword botPassword, ProcessEnvironment process) throws SQLException {
        String jdbcUrl = firstSet(url, config.ledgerJdbcUrl());
        String login = firstSet(user, config.ledgerRole());
        if (jdbcUrl == null || login == null) {
            throw new Unusable("set --url and --user (or BROKER_LEDGER_URL / BROKER_DB_URL and BROKER_DB_USER)");
        }
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new Unusable("--url must be a jdbc:postgresql: URL");
        }
        String password = process.get("PGPASSWORD");
        if (password == null && login.equals(config.ledgerRole())) {
            password = firstSet(config.ledgerPassword(), null);
            if (password == null) {
                password = botPassword.resolve();
            }
        }
        if (password == null) {
            throw new Unusable("set PGPASSWORD to " + login + "'s password");
        }
        Properties props = new Properties();
        props.setProperty("user", login);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", "pg-ephemeral ledger audit");
        props.setProperty("readOnly", "true");
        try {
            jdbcUrl = DatabaseTls.of(config).secure(jdbcUrl, url != null ? "--url" : config.ledgerUrl() != null
                    && !config.ledgerUrl().isBlank() ? "BROKER_LEDGER_URL" : "BROKER_DB_URL");
        } catch (IllegalStateException e) {
            throw new Unusable(e.getMessage());
        }
        Connection c;
        try {
            c = DriverManager.getConnection(jdbcUrl, props);
        } catch (SQLException e) {
            SQLException unreachable = LoginDataSource.unreachable(e, jdbcUrl);
            if (unreachable instanceof LoginDataSource.Unreachable) {
                throw new Unusable(unreachable.getMessage() + ": check " + (url != null ? "--url"
                        : "BROKER_LEDGER_URL (or BROKER_DB_URL), or give --url") + ", and that PostgreSQL accepts"
                        + " connections there");
            }
            throw e;
        }
        c.setReadOnly(true);
        return c;
    }
}
