package io.pgephemeral.ledger;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads the ledger. Writing is {@link LedgerChain}'s alone, because every row must be linked into
 * the hash chain under its lock; there is no update and no delete: the table refuses both.
 */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface LedgerRepository extends GenericRepository<LedgerEntry, Long> {

    /** The newest event of a run, whatever credential it belongs to. */
    @Query("SELECT * FROM ephemeral.ledger_event WHERE run_id = :runId ORDER BY seq DESC LIMIT 1")
    Optional<LedgerEntry> findLatestOfRun(String runId);

    /** The latest event of each credential of a run. */
    @Query("SELECT DISTINCT ON (credential_id) * FROM ephemeral.ledger_event WHERE run_id = :runId"
            + " ORDER BY credential_id, seq DESC")
    List<LedgerEntry> findCurrentOfRun(String runId);

    /** The latest event of each credential of a requester for a target. */
    @Query("SELECT DISTINCT ON (credential_id) * FROM ephemeral.ledger_event"
            + " WHERE requester = :requester AND target = :target ORDER BY credential_id, seq DESC")
    List<LedgerEntry> findCurrentOf(String requester, String target);

    @Query("SELECT * FROM ephemeral.ledger_event WHERE credential_id = :credentialId ORDER BY seq DESC LIMIT 1")
    Optional<LedgerEntry> findCurrent(UUID credentialId);

    /** Every event of a run, oldest first. */
    @Query("SELECT * FROM ephemeral.ledger_event WHERE run_id = :runId ORDER BY seq")
    List<LedgerEntry> findHistoryOfRun(String runId);
}
