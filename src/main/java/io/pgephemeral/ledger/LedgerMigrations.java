package io.pgephemeral.ledger;

import io.pgephemeral.broker.ErrorLine;
import io.micronaut.core.annotation.Nullable;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies {@code schema/migrations} to the ledger database. Run by an operator ({@code migrate})
 * or a deploy step, never at function start: a Lambda cold start should not pay for it.
 *
 * <p>The role that runs the migrations owns the ledger. It must not be the writer (the role the
 * broker writes as), nor a role the writer is a member of: an owner can disable the append-only
 * trigger and rewrite history. A failed migration is reported with the server's SQLSTATE and
 * message, and what to do about the failures a new operator meets.
 */
public final class LedgerMigrations {

    public static final String SCHEMA = "ephemeral";
    /** The newest migration in schema/migrations: the ledger version this broker needs. */
    public static final int VERSION = 4;

    private static final Pattern SCRIPT = Pattern.compile("V\\d+__\\w+\\.sql");

    private LedgerMigrations() {
    }

    /** The owner and writer are set up so that the writer could rewrite the ledger: nothing was done. */
    public static final class UnsafeOwner extends IllegalArgumentException {
        UnsafeOwner(String message) {
            super(message);
        }
    }

    /** A migration failed; the message is one line: which script, the server's words, what to do. */
    public static final class MigrationFailed extends IllegalStateException {
        MigrationFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * @param user     the owner (null: the user in {@code jdbcUrl}, or the driver's default)
     * @param writer   the role the broker writes the ledger as; it gets INSERT and SELECT only
     * @return the number of migrations applied
     */
    public static int migrate(String jdbcUrl, @Nullable String user, @Nullable String password, String writer) {
        return migrate(jdbcUrl, user, password, writer, SCHEMA);
    }

    /** The same into another schema: a second ledger, e.g. a copy to restore a backup into and verify. */
    public static int migrate(String jdbcUrl, @Nullable String user, @Nullable String password, String writer,
                              String schema) {
        // Flyway pastes placeholders into the SQL as they are: allow plain role names only.
        if (!writer.matches("[a-z_][a-z0-9_$]{0,62}")) {
            throw new IllegalArgumentException("ledger writer '" + writer + "' is not a plain lower-case role name");
        }
        checkOwner(jdbcUrl, user, password, writer);
        try {
            MigrateResult result = Flyway.configure()
                    .dataSource(jdbcUrl, user, password)
                    .locations("classpath:schema/migrations")
                    .schemas(schema)
                    .placeholders(Map.of("ledger_writer", writer))
                    .load()
                    .migrate();
            return result.migrationsExecuted;
        } catch (FlywayException e) {
            throw new MigrationFailed(explain(e), e);
        }
    }

    /** Refuses an owner that is the writer, or whose privileges the writer has. */
    private static void checkOwner(String jdbcUrl, @Nullable String user, @Nullable String password, String writer) {
        Properties login = new Properties();
        if (user != null) {
            login.setProperty("user", user);
        }
        if (password != null) {
            login.setProperty("password", password);
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl, login);
             PreparedStatement p = c.prepareStatement("SELECT current_user::text,"
                     + " EXISTS (SELECT FROM pg_roles WHERE rolname = ?),"
                     + " EXISTS (SELECT FROM pg_roles WHERE rolname = ?) AND pg_has_role(?, current_user, 'MEMBER')")) {
            p.setString(1, writer);
            p.setString(2, writer);
            p.setString(3, writer);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                String owner = r.getString(1);
                if (owner.equals(writer) || r.getBoolean(3)) {
                    throw new UnsafeOwner("the ledger's owner must not be its writer: " + owner + " would own"
                            + " ledger_event and " + writer + (owner.equals(writer) ? "" : ", a member of " + owner + ",")
                            + " could disable its append-only trigger and rewrite history. Run migrate as the"
                            + " role that should own the ledger (--user ledger_owner; see schema/setup/ledger-owner.sql)");
                }
                if (!r.getBoolean(2)) {
                    throw new UnsafeOwner("the ledger's writer " + writer + " does not exist: set up the bot first"
                            + " (schema/setup/bot-setup-*.sql), or name the broker's ledger user with --writer");
                }
            }
        } catch (SQLException e) {
            throw new MigrationFailed("could not log in to the ledger database: " + server(e), e);
        }
    }

    /** One line: the script, the server's SQLSTATE and message, and the remedy when we know it. */
    static String explain(FlywayException e) {
        String script = null;
        SQLException sql = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            Matcher m = SCRIPT.matcher(String.valueOf(t.getMessage()));
            if (script == null && m.find()) {
                script = m.group();
            }
            if (sql == null && t instanceof SQLException s) {
                sql = s;
            }
        }
        if (sql == null) {
            return firstLine(e.getMessage());
        }
        StringBuilder out = new StringBuilder();
        out.append(script != null ? "migration " + script + " failed: " : "migration failed: ").append(server(sql));
        String remedy = remedy(sql);
        if (remedy != null) {
            out.append("; ").append(remedy);
        }
        return out.append(". Nothing of that migration was kept").toString();
    }

    private static @Nullable String remedy(SQLException e) {
        String message = serverMessage(e);
        if (!"42501".equals(e.getSQLState())) {
            return null;
        }
        if (message.contains("permission denied to create role")) {
            return "the ledger owner needs CREATEROLE to create ephemeral_auditor, or create that role first"
                    + " (as a superuser: CREATE ROLE ephemeral_auditor NOLOGIN; schema/setup/ledger-owner.sql does)";
        }
        if (message.contains("permission denied for database")) {
            return "the ledger owner needs CREATE on the database to create schema " + SCHEMA
                    + " (as a superuser: GRANT CREATE ON DATABASE ... TO ledger_owner; schema/setup/ledger-owner.sql does)";
        }
        if (message.startsWith("must be owner")) {
            return "the ledger's objects belong to another role: run migrate as the role that created the ledger";
        }
        return "the ledger owner lacks a privilege: see schema/setup/ledger-owner.sql for what it needs";
    }

    /** "ERROR 42501: permission denied to create role" from the server's own report. */
    private static String server(SQLException e) {
        return (e.getSQLState() == null ? "" : "SQLSTATE " + e.getSQLState() + ": ") + serverMessage(e);
    }

    private static String serverMessage(SQLException e) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null
                && p.getServerErrorMessage().getMessage() != null) {
            return firstLine(p.getServerErrorMessage().getMessage());
        }
        return firstLine(e.getMessage());
    }

    private static String firstLine(@Nullable String s) {
        return ErrorLine.firstLine(s, "unknown error");
    }
}
