package io.pgephemeral.postgres;

import io.pgephemeral.database.LoginPassword;
import io.pgephemeral.database.DatabaseTls;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.pgephemeral.broker.DatabaseRoles;
import io.pgephemeral.broker.Endpoint;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.config.BrokerSettings;
import jakarta.inject.Singleton;
import org.postgresql.Driver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** Wires the target database from configuration. */
@Factory
public class PostgresFactory {

    /** NAMEDATALEN - 1, the longest identifier PostgreSQL keeps. */
    static final int MAX_IDENTIFIER_BYTES = 63;

    @Singleton
    @Bean(preDestroy = "close")
    TargetDatabase targetDatabase(BrokerConfig config, LoginPassword password) {
        String url = DatabaseTls.of(config).secure(requireUrl(config), "BROKER_DB_URL");
        return new TargetDatabase(url, require(config.dbUser(), "BROKER_DB_USER"), password, 2);
    }

    @Singleton
    DatabaseRoles databaseRoles(TargetDatabase database, BrokerConfig config, BrokerSettings settings) {
        return new PostgresRoles(database, new RoleAdminSettings(
                roleName(config.markerRole(), "BROKER_MARKER_ROLE"),
                settings.lockKey(),
                settings.lockTimeout(),
                config.reassignOwnedTo() == null || config.reassignOwnedTo().isBlank() ? null
                        : roleName(config.reassignOwnedTo(), "BROKER_REASSIGN_OWNED_TO"),
                creatorRoles(config.creatorRoles(), config.markerRole())));
    }

    /**
     * At most this many creators, as many as the 16+ set-up script makes: each is one more role to
     * set up and one more name in the Lambda's environment, whose variables share 4 KB.
     */
    static final int MAX_CREATORS = 64;

    /**
     * BROKER_CREATOR_ROLES: role names, comma-separated, each usable as written, none twice and none
     * the marker. Unset or blank: none, and the bot creates logins itself.
     */
    static List<String> creatorRoles(String value, String markerRole) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        String setting = "BROKER_CREATOR_ROLES";
        List<String> names = new ArrayList<>();
        for (String name : value.split(",", -1)) {
            if (name.isBlank()) {
                throw new IllegalStateException(setting + ": an empty name in '" + value
                        + "'; separate the role names with single commas");
            }
            String role = roleName(name.strip(), setting);
            if (names.contains(role)) {
                throw new IllegalStateException(setting + ": '" + role + "' is listed twice");
            }
            if (role.equals(markerRole)) {
                throw new IllegalStateException(setting + ": '" + role + "' is the marker role (BROKER_MARKER_ROLE);"
                        + " list the creator roles of schema/setup/bot-setup-pg16.sql");
            }
            names.add(role);
        }
        if (names.size() > MAX_CREATORS) {
            throw new IllegalStateException(setting + " lists " + names.size() + " roles; at most " + MAX_CREATORS);
        }
        return List.copyOf(names);
    }

    /**
     * A configured role name the server will read as written. PostgreSQL silently truncates a
     * longer identifier to 63 bytes in GRANT while the broker compares the full name in its
     * catalog queries: a long marker is granted under one name and looked for under another.
     */
    static String roleName(String value, String setting) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(setting + " is empty");
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_IDENTIFIER_BYTES) {
            throw new IllegalStateException(setting + ": '" + value + "' is " + bytes + " bytes; PostgreSQL"
                    + " truncates names longer than " + MAX_IDENTIFIER_BYTES + " bytes, so choose a shorter role");
        }
        if (value.startsWith("pg_") || value.indexOf('\0') >= 0 || !value.strip().equals(value)) {
            throw new IllegalStateException(setting + ": '" + value + "' is not a usable role name"
                    + " (pg_ is reserved for PostgreSQL's own roles)");
        }
        return value;
    }

    /** Where requesters connect: the JDBC URL's host, port and database unless overridden. */
    @Singleton
    Endpoint endpoint(BrokerConfig config, BrokerSettings settings) {
        Properties url = Driver.parseURL(requireUrl(config), null);
        if (url == null) {
            throw new IllegalStateException("BROKER_DB_URL is not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db)");
        }
        String host = config.connectHost() != null && !config.connectHost().isBlank()
                ? config.connectHost() : url.getProperty("PGHOST").split(",")[0];
        int port = settings.connectPort() != null ? settings.connectPort()
                : Integer.parseInt(url.getProperty("PGPORT", "5432").split(",")[0]);
        return new Endpoint(host, port, url.getProperty("PGDBNAME"));
    }

    private static String requireUrl(BrokerConfig config) {
        return require(config.dbUrl(), "BROKER_DB_URL");
    }

    static String require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set");
        }
        return value;
    }
}
