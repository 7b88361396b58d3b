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
    private static final String ONE_CLOSE = "ledger_event_one_close_per_credential";
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
        return append(entry, false).orElseThrow(() -> new RunEnded(entry.runId()));
    }

    /**
     * Records that a run ended before any of its credentials was open; empty if one is open by
     * now (an escalation recorded its request meanwhile), for the caller to end it instead.
     */
    public Optional<LedgerEntry> appendRunEnd(LedgerEntry entry) {
        try {
            return Optional.ofNullable(chain.appendRunEnd(entry)).map(Ledger::logged);
        } catch (SQLException | RuntimeException e) {
            throw unavailable(e);
        }
    }

    /**
     * Appends {@code entry} unless its credential was closed (by a deescalate or the sweep) in the
     * meantime; empty if it was. One transaction: the check cannot race the close.
     */
    public Optional<LedgerEntry> appendIfOpen(LedgerEntry entry) {
        return append(entry, true);
    }

    /**
     * {@link #appendIfOpen} for a group, in one transaction: the sweep's closing events. One element
     * per entry, empty where the credential had been closed already.
     */
    public List<Optional<LedgerEntry>> appendAllIfOpen(List<LedgerEntry> entries) {
        try {
            List<Optional<LedgerEntry>> out = new java.util.ArrayList<>();
            for (LedgerEntry recorded : chain.appendAllIfOpen(entries)) {
                out.add(Optional.ofNullable(recorded).map(Ledger::logged));
            }
            return out;
        } catch (SQLException | RuntimeException e) {
            throw unavailable(e);
        }
    }

    private Optional<LedgerEntry> append(LedgerEntry entry, boolean onlyIfOpen) {
        try {
            LedgerEntry recorded = onlyIfOpen ? chain.appendIfOpen(entry) : chain.append(entry);
            return Optional.ofNullable(recorded).map(Ledger::logged);
        } catch (SQLException | RuntimeException e) {
            if (UNIQUE_VIOLATION.equals(sqlState(e))) {
                if (LedgerEntry.REQUESTED.equals(entry.event())) {
                    throw new AttemptInProgress(entry.runId());
                }
                if (violated(e, ONE_CLOSE)) {
                    throw new AlreadyClosed(entry);
                }
            }
            throw unavailable(e);
        }
    }

    /** Logs the new chain head: the copy of the chain kept outside the database. */
    private static LedgerEntry logged(LedgerEntry recorded) {
        LOG.info("ledger seq={} event={} credential={} run={} hash={}", recorded.seq(), recorded.event(),
                recorded.credentialId(), recorded.runId(), recorded.hash());
        return recorded;
    }

    /** The state of the run's latest attempt, if the run was ever seen. */
    public Optional<LedgerEntry> latestAttemptOfRun(String runId) {
        return statesOfRun(runId).stream().max(java.util.Comparator.comparingInt(LedgerEntry::attempt));
    }

    /** The state of each credential of a run. */
    public List<LedgerEntry> statesOfRun(String runId) {
        return read(() -> repository.findStatesOfRun(runId));
    }

    /** The state of each credential of a requester for a target. */
    public List<LedgerEntry> statesOf(String requester, String target) {
        return read(() -> repository.findStatesOf(requester, target));
    }

    public Optional<LedgerEntry> state(java.util.UUID credentialId) {
        return read(() -> repository.findState(credentialId));
    }

    public List<LedgerEntry> statesOfRole(String roleName) {
        return read(() -> repository.findStatesOfRole(roleName));
    }

    public List<LedgerEntry> openValidSince(java.time.Instant since) {
        return read(() -> repository.findOpenValidSince(since));
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

    /** Why the ledger cannot be used, in one line: no tables, a failed TLS verification, or the root cause. */
    static BrokerException unavailable(Exception e) {
        if (UNDEFINED_TABLE.equals(sqlState(e))) {
            return new BrokerException("the ledger has no tables yet: run 'pg-ephemeral migrate' against the ledger database", e);
        }
        String why = io.pgephemeral.database.DatabaseTls.explain(e).orElseGet(() -> rootMessage(e));
        if (unreachable(e)) {
            why += ": check BROKER_LEDGER_URL (or BROKER_DB_URL) and that PostgreSQL accepts connections there";
        }
        return new BrokerException("the ledger is unavailable: " + why, e);
    }

    private static boolean unreachable(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof io.pgephemeral.database.LoginDataSource.Unreachable) {
                return true;
            }
        }
        return false;
    }

    private static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    /** The innermost cause's message, first line only. */
    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.lines().findFirst().orElse(message).strip();
    }

    private static boolean violated(Throwable e, String constraint) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null
                    && constraint.equals(p.getServerErrorMessage().getConstraint())) {
                return true;
            }
        }
        return false;
    }

    /** The credential was closed by someone else first (a racing deescalate or sweep). */
    public static final class AlreadyClosed extends BrokerException {
        AlreadyClosed(LedgerEntry entry) {
            super("credential " + entry.credentialId() + " was already closed by another deescalation or sweep");
        }
    }

    /** The run was ended (deescalated, expired) before this credential could start. */
    public static final class RunEnded extends BrokerException {
        RunEnded(String runId) {
            super("access for run " + runId + " has already ended; not issuing it. Nothing was changed");
        }
    }

    /** Another attempt of the same run is being recorded right now. */
    public static final class AttemptInProgress extends BrokerException {
        AttemptInProgress(String runId) {
            super("an escalation of run " + runId + " is already in progress; nothing was changed");
        }
    }

}
