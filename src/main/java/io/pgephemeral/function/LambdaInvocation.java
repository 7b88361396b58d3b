package io.pgephemeral.function;

import com.amazonaws.services.lambda.runtime.Context;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.function.aws.DefaultLambdaContextFactory;
import io.micronaut.function.aws.LambdaContextFactory;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.Optional;

/**
 * Lambda's context of the invocation this thread is handling. Micronaut's handler passes it here
 * before it calls {@code execute}; by default it would register it as a singleton bean, which
 * outlives the invocation (a later call without a context would read an earlier one's remaining
 * time). Kept per thread instead, and taken once.
 */
@Singleton
@Replaces(DefaultLambdaContextFactory.class)
final class LambdaInvocation implements LambdaContextFactory {

    private static final ThreadLocal<Context> CURRENT = new ThreadLocal<>();

    @Override
    public void registerSingletons(Context context) {
        CURRENT.set(context);
    }

    /** The time Lambda gives this thread's invocation, if Lambda called it; clears it. */
    static Optional<Duration> takeRemainingTime() {
        Context context = CURRENT.get();
        CURRENT.remove();
        return Optional.ofNullable(context).map(c -> Duration.ofMillis(c.getRemainingTimeInMillis()));
    }
}
