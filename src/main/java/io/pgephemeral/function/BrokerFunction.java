package io.pgephemeral.function;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.micronaut.context.exceptions.BeanContextException;
import io.pgephemeral.broker.CredentialStore;
import io.pgephemeral.sym.SymResponse;

import java.time.Duration;
import java.util.Map;

/**
 * The Lambda entry point: {@code io.pgephemeral.function.BrokerFunction::handleRequest}. Sym
 * invokes it synchronously with one event and shows the response's errors to its users; an
 * EventBridge schedule invokes it with a scheduled event to sweep.
 *
 * <p>A plain {@link RequestHandler} over an application context of its own, not Micronaut's
 * Lambda handler: that module brings Micronaut's HTTP module with it, whose bean definitions (a
 * quarter of the context's) every cold start loaded and initialised for nothing, and it published
 * events and filled a logging context on every invocation that nothing here reads.
 */
public class BrokerFunction implements RequestHandler<Map<String, Object>, SymResponse>, AutoCloseable {

    private final ApplicationContext context;
    private final boolean ownsContext;
    private final InvocationHandler events;

    /** Kept here: the CRaC context holds its resources weakly. */
    private SnapStartHooks snapStart;

    /**
     * Used by the Lambda runtime: builds and starts the application context (configuration from
     * the environment; beans created when first used, so a cold start builds only what its first
     * event needs), and registers the SnapStart hooks (a no-op where the JVM takes no snapshots).
     */
    public BrokerFunction() {
        this(ApplicationContext.builder().environments(Environment.FUNCTION, "lambda").start(), true);
        startCredentialStore();
        snapStart = new SnapStartHooks(context);
        org.crac.Core.getGlobalContext().register(snapStart);
    }

    /** Used by the CLI and tests: runs inside an existing application context, which stays open. */
    public BrokerFunction(ApplicationContext context) {
        this(context, false);
    }

    private BrokerFunction(ApplicationContext context, boolean ownsContext) {
        this.context = context;
        this.ownsContext = ownsContext;
        try {
            this.events = context.getBean(InvocationHandler.class);
        } catch (RuntimeException e) {
            if (ownsContext) {
                context.close();
            }
            throw e;
        }
    }

    /**
     * Creates the credential store now rather than when the first event needs a secret. For
     * Secrets Manager that starts the SDK client's build on its own thread, the longest single
     * part of a cold start: it then runs beside the first event's reading and its database work
     * instead of after them. A configuration mistake is left for the first event to report by
     * name, as every event does.
     */
    private void startCredentialStore() {
        try {
            context.getBean(CredentialStore.class);
        } catch (BeanContextException e) {
            // answered by InvocationHandler, one line per event
        }
    }

    /**
     * Lambda's remaining time for this invocation is its deadline; without a context (the CLI,
     * tests), the configured cap applies. The event is a map: the serializer the runtime uses
     * ({@link StrictEventSerializer}) reads anything else as an unreadable event, which the
     * handler answers in one line, as the CLI's reading does.
     */
    @Override
    public SymResponse handleRequest(Map<String, Object> event, Context lambda) {
        Duration remaining = lambda == null ? null : Duration.ofMillis(lambda.getRemainingTimeInMillis());
        return events.handle(event, remaining);
    }

    /** Closes the application context if this handler built it. */
    @Override
    public void close() {
        if (ownsContext) {
            context.close();
        }
    }
}
