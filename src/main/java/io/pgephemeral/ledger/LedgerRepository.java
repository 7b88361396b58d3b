package io.pgephemeral.ledger;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

import java.time.Instant;
import java.util.List;

/**
 * Reads the ledger. Writing is {@link LedgerChain}'s alone, because every row must be linked into
 * the hash chain under its lock; there is no update and no delete: the table refuses both.
 *
 * <p>A credential's <em>state</em> is its closing event (revoked, disabled, expired or failed) if it
 * has one, else a 'reconciled' note if the sweep closed it, else its latest event; the state
 * queries below order by exactly that.
 */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface LedgerRepository extends GenericRepository<LedgerEntry, Long> {

    /** Closing events first, a sweep's 'reconciled' note only when there is no other, then newest. */
    String STATE_ORDER = " ORDER BY credential_id, (event IN " + LedgerEntry.CLOSING_SQL + ") DESC, (event = '"
            + LedgerEntry.RECONCILED + "') DESC, seq DESC";

    /** The state of each credential of a run. */
    @Query("SELECT DISTINCT ON (credential_id) * FROM ephemeral.ledger_event WHERE run_id = :runId" + STATE_ORDER)
    List<LedgerEntry> findStatesOfRun(String runId);

    /** The state of each credential of a requester for a target. */
    @Query("SELECT DISTINCT ON (credential_id) * FROM ephemeral.ledger_event"
            + " WHERE requester = :requester AND target = :target" + STATE_ORDER)
    List<LedgerEntry> findStatesOf(String requester, String target);

    /** The state of each credential that ever used this role name (normally one). */
    @Query("SELECT DISTINCT ON (credential_id) * FROM ephemeral.ledger_event WHERE role_name = :roleName" + STATE_ORDER)
    List<LedgerEntry> findStatesOfRole(String roleName);

    /**
     * Credentials still open (no closing event) that were valid at some point after {@code since}:
     * the sweep's working set. Older open credentials were already seen by earlier sweeps.
     */
    @Query("SELECT DISTINCT ON (e.credential_id) e.* FROM ephemeral.ledger_event e"
            + " WHERE e.valid_until >= :since AND e.event IN " + LedgerEntry.OPEN_SQL
            + " AND NOT EXISTS (SELECT 1 FROM ephemeral.ledger_event c WHERE c.credential_id = e.credential_id"
            + " AND c.event IN " + LedgerEntry.ENDED_SQL + ")"
            + " ORDER BY e.credential_id, e.seq DESC")
    List<LedgerEntry> findOpenValidSince(Instant since);

    /** Every event of a run, oldest first. */
    @Query("SELECT * FROM ephemeral.ledger_event WHERE run_id = :runId ORDER BY seq")
    List<LedgerEntry> findHistoryOfRun(String runId);
}
