package io.pgephemeral.postgres;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.pgephemeral.broker.DatabaseRoles;
import io.pgephemeral.broker.Endpoint;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.config.Durations;
import io.pgephemeral.secrets.BotPassword;
import jakarta.inject.Singleton;
import org.postgresql.Driver;

import java.time.temporal.ChronoUnit;
import java.util.Properties;

/** Wires the target database from configuration. */
@Factory
public class PostgresFactory {

    @Singleton
    @Bean(preDestroy = "close")
    TargetDatabase targetDatabase(BrokerConfig config, BotPassword password) {
        return new TargetDatabase(requireUrl(config), require(config.dbUser(), "BROKER_DB_USER"), botLogin(password), 2);
    }

    /** The bot's password as both pools log in with it: read once, re-read after a rejection. */
    public static LoginPassword botLogin(BotPassword password) {
        return new LoginPassword() {
            @Override
            public String current() {
                return password.resolve();
            }

            @Override
            public String renewAfterRejection(String rejected) {
                return password.renewAfterRejection(rejected);
            }

            @Override
            public String toString() {
                return "the bot's password";
            }
        };
    }

    @Singleton
    DatabaseRoles databaseRoles(TargetDatabase database, BrokerConfig config) {
        return new PostgresRoles(database, new RoleAdminSettings(
                config.markerRole(),
                config.lockKey(),
                Durations.parse(config.lockTimeout(), ChronoUnit.SECONDS),
                config.reassignOwnedTo() == null || config.reassignOwnedTo().isBlank() ? null : config.reassignOwnedTo()));
    }

    /** Where requesters connect: the JDBC URL's host, port and database unless overridden. */
    @Singleton
    Endpoint endpoint(BrokerConfig config) {
        Properties url = Driver.parseURL(requireUrl(config), null);
        if (url == null) {
            throw new IllegalStateException("BROKER_DB_URL is not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db)");
        }
        String host = config.connectHost() != null && !config.connectHost().isBlank()
                ? config.connectHost() : url.getProperty("PGHOST").split(",")[0];
        int port = config.connectPort() != null ? config.connectPort()
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
