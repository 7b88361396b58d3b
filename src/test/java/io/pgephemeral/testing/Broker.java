package io.pgephemeral.testing;

import io.micronaut.context.ApplicationContext;
import io.pgephemeral.function.BrokerFunction;
import io.pgephemeral.sym.SymResponse;

import java.util.Map;

/**
 * A broker as Lambda runs it: one application context and one handler, fed Sym events through
 * {@code handleRequest}. Settings are the test environment's, with overrides.
 */
public final class Broker implements AutoCloseable {

    private final ApplicationContext context;
    private final BrokerFunction function;

    public Broker() {
        this(Map.of());
    }

    public Broker(Map<String, Object> overrides) {
        Map<String, Object> properties = TestEnvironment.get().brokerProperties();
        properties.putAll(overrides);
        this.context = ApplicationContext.builder().properties(properties).start();
        this.function = new BrokerFunction(context);
    }

    public SymResponse handle(Map<String, Object> event) {
        return function.handleRequest(event, null);
    }

    public ApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }
}
