package io.pgephemeral.broker;

import io.micronaut.context.annotation.Factory;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.config.BrokerSettings;
import io.pgephemeral.crypto.PasswordGenerator;
import jakarta.inject.Singleton;

import java.time.Clock;

/** Turns configuration into the broker's policies; a bad setting fails here, naming the setting. */
@Factory
public class BrokerFactory {

    @Singleton
    TargetAllowList targetAllowList(BrokerConfig config) {
        try {
            return TargetAllowList.parse(config.targets(), config.markerRole());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("BROKER_TARGETS: " + e.getMessage());
        }
    }

    @Singleton
    DurationPolicy durationPolicy(BrokerSettings settings) {
        return new DurationPolicy(settings.maxTtl());
    }

    @Singleton
    RoleNames roleNames(BrokerConfig config, PasswordGenerator random) {
        try {
            return new RoleNames(config.roleTemplate(), random::randomBytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("BROKER_ROLE_TEMPLATE: " + e.getMessage());
        }
    }

    @Singleton
    EscalationSettings escalationSettings(BrokerSettings settings) {
        return new EscalationSettings(settings.connectionLimit(), settings.passwordLength(),
                settings.inProgressTimeout());
    }

    @Singleton
    SweepSettings sweepSettings(BrokerSettings settings) {
        return new SweepSettings(settings.sweepBatchSize(), settings.sweepTimeBudget(), settings.sweepLookback(),
                settings.inProgressTimeout());
    }

    /** Secondary: a clock given by whoever embeds the broker (a test's later clock) takes its place. */
    @Singleton
    @io.micronaut.context.annotation.Secondary
    Clock clock() {
        return Clock.systemUTC();
    }
}
