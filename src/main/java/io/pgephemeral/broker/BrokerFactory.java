package io.pgephemeral.broker;

import io.micronaut.context.annotation.Factory;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.config.Durations;
import io.pgephemeral.crypto.PasswordGenerator;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.temporal.ChronoUnit;

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
    DurationPolicy durationPolicy(BrokerConfig config) {
        try {
            return new DurationPolicy(Durations.parse(config.maxTtl(), ChronoUnit.SECONDS));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("BROKER_MAX_TTL: " + e.getMessage());
        }
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
    EscalationSettings escalationSettings(BrokerConfig config) {
        if (config.connectionLimit() < 1) {
            throw new IllegalStateException("BROKER_CONNECTION_LIMIT must be at least 1");
        }
        if (config.passwordLength() < 16 || config.passwordLength() > 128) {
            throw new IllegalStateException("BROKER_PASSWORD_LENGTH must be between 16 and 128");
        }
        return new EscalationSettings(config.connectionLimit(), config.passwordLength(),
                Durations.parse(config.inProgressTimeout(), ChronoUnit.SECONDS));
    }

    @Singleton
    SweepSettings sweepSettings(BrokerConfig config) {
        if (config.sweepBatchSize() < 1) {
            throw new IllegalStateException("BROKER_SWEEP_BATCH_SIZE must be at least 1");
        }
        return new SweepSettings(config.sweepBatchSize(),
                Durations.parse(config.sweepTimeBudget(), ChronoUnit.SECONDS),
                Durations.parse(config.sweepLookback(), ChronoUnit.SECONDS),
                Durations.parse(config.inProgressTimeout(), ChronoUnit.SECONDS));
    }

    /** Secondary: a clock given by whoever embeds the broker (a test's later clock) takes its place. */
    @Singleton
    @io.micronaut.context.annotation.Secondary
    Clock clock() {
        return Clock.systemUTC();
    }
}
