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
        this(overrides, new Object[0]);
    }

    /**
     * With beans of the test's own, e.g. a password generator with known entropy. An override
     * whose value is null removes that setting.
     */
    public Broker(Map<String, Object> overrides, Object... singletons) {
        Map<String, Object> properties = TestEnvironment.get().brokerProperties();
        overrides.forEach((key, value) -> {
            if (value == null) {
                properties.remove(key);
            } else {
                properties.put(key, value);
            }
        });
        this.context = ApplicationContext.builder().properties(properties).singletons(singletons).start();
        this.function = new BrokerFunction(context);
    }

    /**
     * Records an event the way the broker does (into the hash chain), for tests that stage what a
     * crashed broker would have left: {@code age} back in time.
     */
    public io.pgephemeral.ledger.LedgerEntry record(String runId, String event, java.util.UUID credential,
                                                   String requester, String role, java.time.Duration age) {
        java.time.Instant at = java.time.Instant.now().minus(age);
        return context.getBean(io.pgephemeral.ledger.Ledger.class).append(new io.pgephemeral.ledger.LedgerEntry(
                null, credential, runId, 1, event, at, requester, "ops@acme.example", null, "readonly", role,
                "pg-ephemeral/" + requester + "/readonly", at.plus(java.time.Duration.ofHours(1)), "ops@acme.example",
                null));
    }

    /** Runs one sweep, exactly as the EventBridge schedule does. */
    public SymResponse sweep() {
        return handle(new java.util.HashMap<>(Map.of("source", "aws.events", "detail-type", "Scheduled Event",
                "detail", Map.of())));
    }

    public SymResponse handle(Map<String, Object> event) {
        return function.handleRequest(event, null);
    }

    /** As Lambda calls it, with the invocation's context (its remaining time). */
    public SymResponse handle(Map<String, Object> event, com.amazonaws.services.lambda.runtime.Context lambda) {
        return function.handleRequest(event, lambda);
    }

    public ApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }
}
