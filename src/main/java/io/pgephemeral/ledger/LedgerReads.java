package io.pgephemeral.ledger;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The ledger's reads for the use cases, in plain JDBC against the table of {@link LedgerTable} (so
 * a ledger in another schema is read where it is written). Writing is {@link LedgerChain}'s alone,
 * because every row must be linked into the hash chain under its lock; there is no update and no
 * delete: the table refuses both.
 *
 * <p>A credential's <em>state</em> is its closing event (revoked, disabled, expired or failed) if it
 * has one, else a 'reconciled' note if the sweep closed it, else its latest event; the state
 * queries below order by exactly that.
 */
public final class LedgerReads {

    /** Closing events first, a sweep's 'reconciled' note only when there is no other, then newest. */
    private static final String STATE_ORDER = " ORDER BY credential_id, (event IN " + LedgerEntry.CLOSING_SQL
            + ") DESC, (event = '" + LedgerEntry.RECONCILED + "') DESC, seq DESC";

    private final DataSource dataSource;
    private final String statesWhere;
    private final String openValidSince;
    private final String history;

    public LedgerReads(DataSource dataSource, LedgerTable table) {
        this.dataSource = dataSource;
        String events = table.events();
        this.statesWhere = "SELECT DISTINCT ON (credential_id) * FROM " + events + " WHERE ";
        this.openValidSince = "SELECT DISTINCT ON (e.credential_id) e.* FROM " + events + " e"
                + " WHERE e.valid_until >= ? AND e.event IN " + LedgerEntry.OPEN_SQL
                + " AND NOT EXISTS (SELECT 1 FROM " + events + " c WHERE c.credential_id = e.credential_id"
                + " AND c.event IN " + LedgerEntry.ENDED_SQL + ")"
                + " ORDER BY e.credential_id, e.seq DESC";
        this.history = "SELECT * FROM " + events + " WHERE run_id = ? ORDER BY seq";
    }

    /** The state of each credential of a run. */
    public List<LedgerEntry> statesOfRun(String runId) throws SQLException {
        return query(statesWhere + "run_id = ?" + STATE_ORDER, runId);
    }

    /** The state of each credential of a requester for a target. */
    public List<LedgerEntry> statesOf(String requester, String target) throws SQLException {
        return query(statesWhere + "requester = ? AND target = ?" + STATE_ORDER, requester, target);
    }

    /** The state of each credential that ever used this role name (normally one). */
    public List<LedgerEntry> statesOfRole(String roleName) throws SQLException {
        return query(statesWhere + "role_name = ?" + STATE_ORDER, roleName);
    }

    /**
     * Credentials still open (no closing event, no reconciled note) that were valid at some point
     * after {@code since}: the sweep's working set. Older open credentials were seen by earlier sweeps.
     */
    public List<LedgerEntry> openValidSince(Instant since) throws SQLException {
        return query(openValidSince, OffsetDateTime.ofInstant(since, ZoneOffset.UTC));
    }

    /** Every event of a run, oldest first. */
    public List<LedgerEntry> historyOfRun(String runId) throws SQLException {
        return query(history, runId);
    }

    private List<LedgerEntry> query(String sql, Object... parameters) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setObject(i + 1, parameters[i]);
            }
            List<LedgerEntry> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(LedgerTable.entry(r));
                }
            }
            return out;
        }
    }
}
