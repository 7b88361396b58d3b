package io.pgephemeral.function;

import io.micronaut.context.ApplicationContext;
import io.pgephemeral.broker.CredentialStore;
import io.pgephemeral.broker.DatabaseRoles;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.database.SnapshotConnections;
import io.pgephemeral.broker.EscalationRequest;
import io.pgephemeral.sym.EventJson;
import io.pgephemeral.sym.ResponseJson;
import io.pgephemeral.sym.SymEventReader;
import io.pgephemeral.sym.SymResponse;
import org.crac.Context;
import org.crac.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Lambda SnapStart's runtime hooks (the CRaC API, which Lambda calls around its snapshot).
 *
 * <p>Before the snapshot, warm every step of an escalation that can be warmed without doing one:
 * read and validate a Sym event and write a response (JSON), generate a password and its SCRAM
 * verifier, run the ledger's and the catalog's read queries, set up the Secrets Manager client.
 * Nothing is written anywhere. Then close every pooled connection: a connection inside a snapshot
 * would be shared by every environment restored from it, with its server session long gone.
 *
 * <p>After a restore, reseed the password generator from the operating system before anything
 * else draws from it: environments restored from one snapshot start with one generator state.
 */
public final class SnapStartHooks implements Resource {

    private static final Logger LOG = LoggerFactory.getLogger(SnapStartHooks.class);

    private final ApplicationContext context;

    public SnapStartHooks(ApplicationContext context) {
        this.context = context;
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> snapshot) {
        long started = System.nanoTime();
        try {
            prime();
        } catch (RuntimeException e) {
            // A cold path is slower, not wrong: the snapshot is still worth taking.
            LOG.warn("priming before the snapshot was incomplete: {}", e.getMessage());
        }
        // Every pool, whichever adapter made it: each is closed even when another one fails.
        List<String> open = new java.util.ArrayList<>();
        for (SnapshotConnections pool : context.getBeansOfType(SnapshotConnections.class)) {
            if (!pool.closeIdleConnections()) {
                open.add(pool.poolName());
            }
        }
        if (!open.isEmpty()) {
            throw new IllegalStateException("connections were still open when the snapshot was due: "
                    + String.join(", ", open));
        }
        LOG.info("primed for the snapshot in {} ms; no connection is open", (System.nanoTime() - started) / 1_000_000);
    }

    @Override
    public void afterRestore(Context<? extends Resource> snapshot) {
        context.getBean(PasswordGenerator.class).reseed();
        LOG.info("restored from a snapshot: the random generator was reseeded");
    }

    private void prime() {
        SymEventReader reader = context.getBean(SymEventReader.class);
        // Read as the runtime's serializer reads every event (strictly), and answered as it writes
        // every response.
        Map<String, Object> event = EventJson.read(SymEventReader.PRIMING_EVENT.getBytes(StandardCharsets.UTF_8));
        reader.type(event);
        EscalationRequest request = reader.escalation(event);
        ResponseJson.bytes(new SymResponse(Map.of("run", request.runId()), List.of()));

        PasswordGenerator passwords = context.getBean(PasswordGenerator.class);
        ScramVerifier.of(passwords.generate(32), passwords.randomBytes(ScramVerifier.saltBytes()),
                ScramVerifier.DEFAULT_ITERATIONS);

        context.getBean(io.pgephemeral.broker.CredentialLedger.class).latestAttemptOfRun(request.runId());
        context.getBean(DatabaseRoles.class).managedRoles();
        context.getBean(CredentialStore.class).prepare();
    }
}
