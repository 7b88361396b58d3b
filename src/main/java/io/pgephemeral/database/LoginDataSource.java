package io.pgephemeral.database;

import io.pgephemeral.broker.ErrorLine;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.postgresql.Driver;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLInvalidAuthorizationSpecException;
import java.sql.SQLNonTransientConnectionException;
import java.util.Properties;

/**
 * A pool's logins: pgjdbc connections opened with the password its {@link LoginPassword} holds at
 * that moment. When PostgreSQL rejects it (SQLSTATE 28P01, invalid_password), as it does every new
 * login once the password was rotated, the source is asked for a renewed one and the login is
 * tried once more with it. Connections already open are not touched; PostgreSQL keeps them.
 *
 * <p>Hikari applies its data-source properties only to data sources it builds itself, so
 * {@link #startPool} carries them over (application name, prepare threshold, batch rewriting,
 * timeouts, TLS). The password goes only into pgjdbc's login properties: never into a message,
 * a log line or {@link #toString()}.
 */
public final class LoginDataSource implements DataSource {

    private static final Logger LOG = LoggerFactory.getLogger(LoginDataSource.class);
    static final String INVALID_PASSWORD = "28P01";

    /** The login failed because of the password, and the failure says what to do about it. */
    public static final class PasswordRejected extends SQLInvalidAuthorizationSpecException {
        public PasswordRejected(String message) {
            super(message, INVALID_PASSWORD);
        }

        public PasswordRejected(String message, Throwable cause) {
            super(message, INVALID_PASSWORD, cause);
        }
    }

    /**
     * No connection to the server could be made (refused, unknown host, timed out, no route): says
     * which host and port were tried, which pgjdbc's innermost cause ("Connection refused") does
     * not. The original failure is attached as suppressed, not as the cause, so that code reporting
     * a failure's innermost message reports this one. Never the URL: it may hold secrets.
     */
    public static final class Unreachable extends SQLNonTransientConnectionException {
        public Unreachable(String message, String sqlState) {
            super(message, sqlState);
        }
    }

    private final Driver driver = new Driver();
    private final String url;
    private final String user;
    private final Properties settings = new Properties();
    private final LoginPassword password;
    private volatile int loginTimeoutSeconds;

    public LoginDataSource(String url, String user, Properties settings, LoginPassword password) {
        if (!driver.acceptsURL(url)) {
            throw new IllegalStateException("not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db)");
        }
        Properties parsed = Driver.parseURL(url, null);
        if (parsed != null && parsed.getProperty("password") != null) {
            // pgjdbc lets the URL's password win over the login's, which would hide every renewal.
            throw new IllegalStateException("a JDBC URL of the broker carries a password: remove password= from it;"
                    + " the broker logs in with its own");
        }
        this.url = url;
        this.user = user;
        settings.stringPropertyNames().forEach(name -> this.settings.setProperty(name, settings.getProperty(name)));
        // The login is this data source's: a user or password among the settings would contradict it.
        this.settings.remove("user");
        this.settings.remove("password");
        this.password = password;
    }

    /**
     * Starts a pool whose connections log in through a data source of this kind; the settings are
     * the data-source properties set on {@code config} so far. The login must not also be set on
     * {@code config}: Hikari would then ask for connections with that user and password.
     */
    public static HikariDataSource startPool(HikariConfig config, String url, String user, LoginPassword password) {
        if (config.getUsername() != null || config.getPassword() != null || config.getJdbcUrl() != null) {
            throw new IllegalArgumentException("the pool's URL and login come from its LoginDataSource");
        }
        config.setDataSource(new LoginDataSource(url, user, config.getDataSourceProperties(), password));
        return new HikariDataSource(config);
    }

    @Override
    public Connection getConnection() throws SQLException {
        String tried = current();
        try {
            return open(tried);
        } catch (SQLException e) {
            if (!INVALID_PASSWORD.equals(e.getSQLState())) {
                throw e;
            }
            String renewed;
            try {
                renewed = password.renewAfterRejection(tried);
            } catch (IllegalStateException noOther) {
                throw rejected(e, noOther.getMessage());
            }
            LOG.info("PostgreSQL rejected {}'s password (SQLSTATE 28P01); logging in with the renewed one", user);
            try {
                return open(renewed);
            } catch (SQLException again) {
                if (!INVALID_PASSWORD.equals(again.getSQLState())) {
                    throw again;
                }
                throw rejected(again, "the renewed password was rejected too: put " + user
                        + "'s current password where the broker reads it");
            }
        }
    }

    private String current() throws SQLException {
        try {
            return password.current();
        } catch (IllegalStateException e) {
            // e.g. Secrets Manager could not be read: no login can be attempted
            throw new SQLNonTransientConnectionException(e.getMessage(), "08001");
        }
    }

    private Connection open(String secret) throws SQLException {
        Properties login = new Properties();
        login.putAll(settings);
        int timeout = loginTimeoutSeconds;
        if (timeout > 0 && !login.containsKey("loginTimeout")) {
            login.setProperty("loginTimeout", Integer.toString(timeout));
        }
        login.setProperty("user", user);
        login.setProperty("password", secret);
        try {
            return driver.connect(url, login);
        } catch (SQLException e) {
            throw unreachable(e, url);
        }
    }

    /**
     * {@code e} as an {@link Unreachable} naming the host and port of {@code url} when no
     * connection could be made at all; else {@code e} itself.
     */
    public static SQLException unreachable(SQLException e, String url) {
        Throwable network = networkCause(e);
        if (network == null) {
            return e;
        }
        String why = network instanceof java.net.UnknownHostException ? "unknown host"
                : network.getMessage() == null ? network.getClass().getSimpleName()
                : network.getMessage().lines().findFirst().orElse("").strip();
        Unreachable out = new Unreachable("cannot connect to " + endpoint(url) + " (" + why + ")",
                e.getSQLState() == null ? "08001" : e.getSQLState());
        out.addSuppressed(e);
        return out;
    }

    private static Throwable networkCause(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                    || t instanceof java.net.NoRouteToHostException || t instanceof java.net.SocketTimeoutException) {
                return t;
            }
        }
        return null;
    }

    /** host:port of the URL, each one for a multi-host URL. */
    private static String endpoint(String url) {
        Properties parsed = Driver.parseURL(url, null);
        if (parsed == null) {
            return "the server";
        }
        String[] hosts = parsed.getProperty("PGHOST", "localhost").split(",");
        String[] ports = parsed.getProperty("PGPORT", "5432").split(",");
        java.util.List<String> endpoints = new java.util.ArrayList<>();
        for (int i = 0; i < hosts.length; i++) {
            endpoints.add(hosts[i] + ":" + ports[Math.min(i, ports.length - 1)]);
        }
        return String.join(", ", endpoints);
    }

    /** One line: the server's reason and what to do, without pgjdbc's extra lines. */
    private PasswordRejected rejected(SQLException e, String what) {
        String reason = e instanceof PSQLException p && p.getServerErrorMessage() != null
                ? p.getServerErrorMessage().getMessage() : String.valueOf(e.getMessage());
        PasswordRejected out = new PasswordRejected("PostgreSQL refused the login of " + user + ": "
                + ErrorLine.firstLine(reason, "no reason given") + "; " + what);
        out.addSuppressed(e);
        return out;
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("this data source logs in as " + user + " with its own password");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // pgjdbc logs through java.util.logging; there is no writer to set
    }

    /** Hikari sets this from its connection timeout, so one login never outlasts a pool's wait. */
    @Override
    public void setLoginTimeout(int seconds) {
        this.loginTimeoutSeconds = seconds;
    }

    @Override
    public int getLoginTimeout() {
        return loginTimeoutSeconds;
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("not a wrapper of " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }

    @Override
    public String toString() {
        return "LoginDataSource(as " + user + ")"; // not the URL: an operator may have put secrets in it
    }
}
