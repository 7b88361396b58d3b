package io.pgephemeral.cli;

import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;

/** The process's own environment, unless whoever started the context gave one (tests do). */
@Factory
class ProcessEnvironmentFactory {

    @Singleton
    @Requires(missingBeans = ProcessEnvironment.class)
    ProcessEnvironment processEnvironment() {
        return ProcessEnvironment.ofThisProcess();
    }
}
