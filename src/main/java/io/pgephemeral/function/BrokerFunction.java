package io.pgephemeral.function;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.ApplicationContextBuilder;
import io.micronaut.context.env.Environment;
import io.micronaut.context.exceptions.BeanContextException;
import io.micronaut.function.aws.MicronautRequestHandler;
import io.pgephemeral.broker.CredentialStore;
import io.pgephemeral.sym.SymResponse;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.Map;

/**
 * The Lambda entry point: {@code io.pgephemeral.function.BrokerFunction::handleRequest}. Sym
 * invokes it synchronously with one event and shows the response's errors to its users; an
 * EventBridge schedule invokes it with a scheduled event to sweep.
 */
public class BrokerFunction extends MicronautRequestHandler<Map<String, Object>, SymResponse> {

    @Inject
    InvocationHandler events;

    /** Kept here: the CRaC context holds its resources weakly. */
    private SnapStartHooks snapStart;

    /**
     * Used by the Lambda runtime: builds and starts the application context, and registers the
     * SnapStart hooks (a no-op where the JVM takes no snapshots).
     */
    public BrokerFunction() {
        super();
        startCredentialStore();
        snapStart = new SnapStartHooks(applicationContext);
        org.crac.Core.getGlobalContext().register(snapStart);
    }

    /**
     * Creates the credential store now rather than when the first event needs a secret. For
     * Secrets Manager that starts the SDK client's build on its own thread, the longest single
     * part of a cold start (about 1,700 classes): it then runs beside the first event's reading
     * and its database work instead of after them. A configuration mistake is left for the first
     * event to report by name, as every event does.
     */
    private void startCredentialStore() {
        try {
            applicationContext.getBean(CredentialStore.class);
        } catch (BeanContextException e) {
            // answered by InvocationHandler, one line per event
        }
    }

    /** Used by the CLI and tests: runs inside an existing application context. */
    public BrokerFunction(ApplicationContext context) {
        super(context);
    }

    /**
     * Micronaut's Lambda builder marks every singleton for creation at start-up (and
     * {@code eagerInitSingletons(false)} cannot undo that), though most of ours serve the CLI or
     * other events. This builder keeps the Lambda environments and creates beans when first used,
     * so a cold start builds only what its first event needs.
     */
    @Override
    protected ApplicationContextBuilder newApplicationContextBuilder() {
        return ApplicationContext.builder().environments(Environment.FUNCTION, "lambda");
    }

    /**
     * Anything but a map (the runtime's serializer always gives one; a caller of
     * {@code handleRequest} might not) is answered as an unreadable event, not converted leniently
     * or thrown back with a stack trace.
     */
    @Override
    protected Map<String, Object> convertInput(Object input) {
        return new UnreadableEvent("the event must be a JSON object, got "
                + (input == null ? "null" : "a " + input.getClass().getSimpleName()));
    }

    /**
     * Lambda's remaining time for this invocation is its deadline ({@link LambdaInvocation});
     * without it (the CLI, tests calling with no context), the configured cap applies.
     */
    @Override
    public SymResponse execute(Map<String, Object> event) {
        Duration remaining = LambdaInvocation.takeRemainingTime().orElse(null);
        return events.handle(event, remaining);
    }
}
