package io.pgephemeral.ledger;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.CredentialEntry;
import io.pgephemeral.broker.CredentialLedger;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * The record of every credential: what the broker asked for, issued and took away, in the hash
 * chain ({@link LedgerChain}). The use cases see it through the {@link CredentialLedger} port;
 * the CLI's demo and the tests also write and read chained rows ({@link LedgerEntry}) directly.
 * Writes fail loudly, because a credential that cannot be recorded must not be issued.
 */
@Singleton
public class Ledger implements CredentialLedger {

    private static final Logger LOG = LoggerFactory.getLogger(Ledger.class);

    private static final String UNIQUE_VIOLATION = "23505";
    private static final String ONE_CLOSE = "ledger_event_one_close_per_credential";
    private static final String UNDEFINED_TABLE = "42P01";

    private final LedgerReads reads;
    private final LedgerChain chain;

    public Ledger(LedgerReads reads, LedgerChain chain) {
        this.reads = reads;
        this.chain = chain;
    }

    @Override
    public void record(CredentialEntry entry) {
        append(LedgerEntry.of(entry));
    }

    @Override
    public boolean recordFirstOfRun(CredentialEntry entry) {
        try {
            return Optional.ofNullable(chain.appendFirstOfRun(LedgerEntry.of(entry))).map(Ledger::logged).isPresent();
        } catch (SQLException | RuntimeException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean recordIfOpen(CredentialEntry entry) {
        return appendIfOpen(LedgerEntry.of(entry)).isPresent();
    }

    @Override
    public List<Boolean> recordAllIfOpen(List<CredentialEntry> entries) {
        return appendAllIfOpen(entries.stream().map(LedgerEntry::of).toList()).stream()
                .map(Optional::isPresent).toList();
    }

    @Override
    public boolean recordRunEnd(CredentialEntry entry) {
        return appendRunEnd(LedgerEntry.of(entry)).isPresent();
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
                    throw new AlreadyClosed(entry.credential());
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

    @Override
    public List<CredentialEntry> statesOfRun(String runId) {
        return credentials(read(() -> reads.statesOfRun(runId)));
    }

    @Override
    public List<CredentialEntry> statesOf(String requester, String target) {
        return credentials(read(() -> reads.statesOf(requester, target)));
    }

    @Override
    public List<CredentialEntry> statesOfRole(String roleName) {
        return credentials(read(() -> reads.statesOfRole(roleName)));
    }

    @Override
    public List<CredentialEntry> openValidSince(java.time.Instant since) {
        return credentials(read(() -> reads.openValidSince(since)));
    }

    /** Every event of a run, oldest first, as chained rows. */
    public List<LedgerEntry> historyOfRun(String runId) {
        return read(() -> reads.historyOfRun(runId));
    }

    private static List<CredentialEntry> credentials(List<LedgerEntry> rows) {
        return rows.stream().map(LedgerEntry::credential).toList();
    }

    private interface Read<T> {
        T get() throws SQLException;
    }

    private static <T> T read(Read<T> read) {
        try {
            return read.get();
        } catch (SQLException | RuntimeException e) {
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
        return io.pgephemeral.broker.ErrorLine.of(io.pgephemeral.broker.ErrorLine.root(e));
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
}
