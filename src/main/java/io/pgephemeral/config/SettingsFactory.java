package io.pgephemeral.config;

import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;

/** The settings, read once from what the operator set; a value that does not read fails here, by name. */
@Factory
public class SettingsFactory {

    @Singleton
    BrokerSettings brokerSettings(BrokerConfig config) {
        return BrokerSettings.of(config);
    }
}
