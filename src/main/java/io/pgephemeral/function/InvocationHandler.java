package io.pgephemeral.function;

import io.pgephemeral.broker.ErrorLine;
import io.micronaut.context.BeanProvider;
import io.micronaut.context.exceptions.BeanInstantiationException;
import io.micronaut.core.annotation.Nullable;
import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.Deadline;
import io.pgephemeral.config.BrokerSettings;
import io.pgephemeral.broker.Deescalation;
import io.pgephemeral.broker.Escalation;
import io.pgephemeral.broker.Sweep;
import io.pgephemeral.ledger.LedgerSchemaVersion;
import io.pgephemeral.sym.SymEventReader;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.sym.SymResponses;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * Routes one invocation to its use case: Sym's escalate and deescalate events, and the scheduled
 * event that runs the sweep. Every outcome becomes a {@code {"body": ..., "errors": [...]}}
 * response with one line per error. Shared by the Lambda handler and {@code pg-ephemeral invoke},
 * so both behave alike.
 */
@Singleton
public class InvocationHandler {

    private static final Logger LOG = LoggerFactory.getLogger(InvocationHandler.class);

    private final BeanProvider<SymEventReader> reader;
    private final BeanProvider<Escalation> escalation;
    private final BeanProvider<Deescalation> deescalation;
    private final BeanProvider<Sweep> sweep;
    private final BeanProvider<BrokerSettings> settings;
    private final BeanProvider<LedgerSchemaVersion> ledgerVersion;

    // Providers, not beans: a configuration mistake then surfaces as a clear error for each
    // event, instead of a handler that cannot even start.
    public InvocationHandler(BeanProvider<SymEventReader> reader, BeanProvider<Escalation> escalation,
                             BeanProvider<Deescalation> deescalation, BeanProvider<Sweep> sweep,
                             BeanProvider<LedgerSchemaVersion> ledgerVersion, BeanProvider<BrokerSettings> settings) {
        this.settings = settings;
        this.reader = reader;
        this.escalation = escalation;
        this.deescalation = deescalation;
        this.sweep = sweep;
        this.ledgerVersion = ledgerVersion;
    }

    /** An invocation outside Lambda (the CLI's invoke and sweep): its time is the configured cap. */
    public SymResponse handle(Map<String, Object> event) {
        return handle(event, null);
    }

    /**
     * @param lambdaRemaining the time Lambda gives this invocation before it stops the function,
     *                        or null outside Lambda
     */
    public SymResponse handle(Map<String, Object> event, @Nullable Duration lambdaRemaining) {
        BrokerSettings limits;
        try {
            limits = settings.get();
        } catch (BeanInstantiationException e) {
            return misconfigured(e);
        }
        Deadline deadline = Deadline.of(lambdaRemaining != null ? lambdaRemaining : limits.invocationTimeout(),
                limits.cleanupReserve());
        return deadline.call(() -> dispatch(event));
    }

    private SymResponse dispatch(Map<String, Object> event) {
        try {
            if (event == null) {
                return SymResponse.error("the event must be a JSON object, got null");
            }
            if (event instanceof UnreadableEvent unreadable) {
                return SymResponse.error(unreadable.reason());
            }
            // Every use case reads and writes the ledger: it must be at the version this broker
            // needs before any of them starts (checked once per process).
            ledgerVersion.get().requireCurrent();
            if (ScheduledEvent.matches(event)) {
                return SweepResponses.of(sweep.get().sweep());
            }
            SymEventReader events = reader.get();
            return switch (events.type(event)) {
                case "escalate" -> SymResponses.escalated(escalation.get().escalate(events.escalation(event)));
                case "deescalate" -> SymResponses.deescalated(deescalation.get().deescalate(events.deescalation(event)));
                default -> throw new IllegalStateException("unreachable");
            };
        } catch (BrokerException e) {
            return SymResponse.error(e.getMessage());
        } catch (BeanInstantiationException e) {
            return misconfigured(e);
        } catch (RuntimeException e) {
            String reference = UUID.randomUUID().toString();
            LOG.error("internal error, reference {}", reference, e);
            return SymResponse.error("internal error in pg-ephemeral (reference " + reference
                    + "); see the broker's log");
        }
    }

    /** One line in the log and in the response, without the bean-creation stack trace. */
    private static SymResponse misconfigured(BeanInstantiationException e) {
        String reason = configurationProblem(e);
        LOG.error("the broker is misconfigured: {}", reason);
        return SymResponse.error("the broker is misconfigured: " + reason);
    }

    /** The innermost message of a failed bean creation: our factories say which setting is wrong. */
    static String configurationProblem(Throwable e) {
        return ErrorLine.of(ErrorLine.root(e));
    }
}
