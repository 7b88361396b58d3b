package io.pgephemeral.ledger;

import io.pgephemeral.broker.BrokerException;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * The record of every credential: what the broker asked for, issued and took away. Writes fail
 * loudly, because a credential that cannot be recorded must not be issued.
 */
@Singleton
public class Ledger {

    private static final Logger LOG = LoggerFactory.getLogger(Ledger.class);

    private static final String UNIQUE_VIOLATION = "23505";
    private static final String UNDEFINED_TABLE = "42P01";

    private final LedgerRepository repository;
    private final LedgerChain chain;

    public Ledger(LedgerRepository repository, LedgerChain chain) {
        this.repository = repository;
        this.chain = chain;
    }

    /**
     * Appends {@code entry} to the hash chain (its {@code seq}, {@code prevHash} and {@code hash}
     * are assigned here) and logs the new chain head: that log line is the copy of the chain kept
     * outside the database, against which a truncated ledger shows.
     */
    public LedgerEntry append(LedgerEntry entry) {
        try {
            LedgerEntry recorded = chain.append(entry);
            LOG.info("ledger seq={} event={} credential={} run={} hash={}", recorded.seq(), recorded.event(),
                    recorded.credentialId(), recorded.runId(), recorded.hash());
            return recorded;
        } catch (SQLException | RuntimeException e) {
            if (UNIQUE_VIOLATION.equals(sqlState(e)) && LedgerEntry.REQUESTED.equals(entry.event())) {
                throw new AttemptInProgress(entry.runId());
            }
            throw unavailable(e);
        }
    }

    public Optional<LedgerEntry> latestOfRun(String runId) {
        return read(() -> repository.findLatestOfRun(runId));
    }

    public List<LedgerEntry> currentOfRun(String runId) {
        return read(() -> repository.findCurrentOfRun(runId));
    }

    public List<LedgerEntry> currentOf(String requester, String target) {
        return read(() -> repository.findCurrentOf(requester, target));
    }

    public Optional<LedgerEntry> current(java.util.UUID credentialId) {
        return read(() -> repository.findCurrent(credentialId));
    }

    public List<LedgerEntry> historyOfRun(String runId) {
        return read(() -> repository.findHistoryOfRun(runId));
    }

    private interface Read<T> {
        T get();
    }

    private static <T> T read(Read<T> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            throw unavailable(e);
        }
    }

    private static BrokerException unavailable(Exception e) {
        if (UNDEFINED_TABLE.equals(sqlState(e))) {
            return new BrokerException("the ledger has no tables yet: run 'pg-ephemeral migrate' against the ledger database", e);
        }
        return new BrokerException("the ledger is unavailable: " + rootMessage(e), e);
    }

    private static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.lines().findFirst().orElse(message).strip();
    }

    /** Another attempt of the same run is being recorded right now. */
    public static final class AttemptInProgress extends BrokerException {
        AttemptInProgress(String runId) {
            super("an escalation of run " + runId + " is already in progress; nothing was changed");
        }
    }

}
