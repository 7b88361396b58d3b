package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.pgephemeral.database.Timestamps.utc;

/**
 * The access review's reads, through the audit views only (what {@code ephemeral_auditor} may
 * read) and {@code pg_roles}, which every login may read. The period's credentials come through a
 * cursor, {@link #FETCH_SIZE} rows at a time, oldest request first, into an
 * {@link AccessReviewBuilder}: a period of any size is reviewed in bounded memory.
 */
public final class AccessReviewQuery {

    public static final int FETCH_SIZE = 2000;

    private final LedgerTable table;

    public AccessReviewQuery(LedgerTable table) {
        this.table = table;
    }

    /**
     * Credentials whose time (requested until ended, or until now while open) overlaps the period.
     * A disabled one comes with the latest {@code reconciled} note recorded after it (the role was
     * dealt with since); the probe for it runs only for disabled credentials (a gating condition on
     * the outer row), because one probe per credential costs more than the rest of the query.
     */
    private String select(String extra) {
        return "SELECT c.credential_id, c.requester, c.target, c.role_name, c.approver, c.reason, c.requested_at,"
                + " c.issued_at, c.valid_until, c.state, c.state_actor, c.state_detail, c.ended_at,"
                + " n.recorded_at AS noted_at, n.detail AS note"
                + " FROM " + table.auditCredentials() + " c"
                + " LEFT JOIN LATERAL (SELECT e.recorded_at, e.detail FROM " + table.auditEvents() + " e"
                + "  WHERE c.state = '" + LedgerEntry.DISABLED + "' AND e.credential_id = c.credential_id"
                + "  AND e.event = '" + LedgerEntry.RECONCILED + "' ORDER BY e.seq DESC LIMIT 1) n ON true"
                + " WHERE c.requested_at < ? AND coalesce(c.ended_at, 'infinity') >= ?" + extra;
    }

    /** The statement that streams the period, and its arguments (for the benchmark's plans too). */
    public record Statement(String sql, List<Object> args) {
    }

    public Statement period(ReviewSettings s) {
        StringBuilder extra = new StringBuilder();
        List<Object> args = new ArrayList<>(List.of(utc(s.until()), utc(s.since())));
        if (s.target() != null) {
            extra.append(" AND c.target = ?");
            args.add(s.target());
        }
        if (s.requester() != null) {
            extra.append(" AND c.requester = ?");
            args.add(s.requester());
        }
        extra.append(" ORDER BY c.requested_at, c.latest_seq");
        return new Statement(select(extra.toString()), args);
    }

    /** Streams the period's credentials into {@code builder}; returns how many. */
    public long stream(Connection c, ReviewSettings s, AccessReviewBuilder builder) throws SQLException {
        Statement statement = period(s);
        List<Object> args = statement.args();
        long n = 0;
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false); // without a transaction pgjdbc would read the whole result into memory
        try (PreparedStatement p = c.prepareStatement(statement.sql())) {
            p.setFetchSize(FETCH_SIZE);
            // Binary results from the first execution: timestamps and uuids arrive as numbers, not
            // text to parse, for each of the period's credentials.
            p.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(-1);
            for (int i = 0; i < args.size(); i++) {
                p.setObject(i + 1, args.get(i));
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    builder.accept(credential(r));
                    n++;
                }
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
        return n;
    }

    /**
     * Credentials closed (revoked, expired, disabled or failed) that the sweep reconciled later
     * within the period: their role or secret was still there after the ledger said it was gone.
     * Found from the {@code reconciled} events of the period, which are few, instead of probing
     * every credential for one.
     */
    public void reconciledAfterClose(Connection c, ReviewSettings s, AccessReviewBuilder builder) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT c.credential_id, c.requester, c.target, c.role_name, c.approver,"
                + " c.reason, c.requested_at, c.issued_at, c.valid_until, c.state, c.state_actor, c.state_detail,"
                + " c.ended_at, n.recorded_at AS noted_at, n.detail AS note"
                + " FROM (SELECT DISTINCT ON (e.credential_id) e.credential_id, e.recorded_at, e.detail FROM "
                + table.auditEvents() + " e WHERE e.event = '" + LedgerEntry.RECONCILED + "'"
                + " AND e.recorded_at >= ? AND e.recorded_at < ? ORDER BY e.credential_id, e.seq DESC) n"
                + " JOIN " + table.auditCredentials() + " c ON c.credential_id = n.credential_id"
                + " WHERE c.state <> '" + LedgerEntry.RECONCILED + "'");
        List<Object> args = new ArrayList<>(List.of(utc(s.since()), utc(s.until())));
        if (s.target() != null) {
            sql.append(" AND c.target = ?");
            args.add(s.target());
        }
        if (s.requester() != null) {
            sql.append(" AND c.requester = ?");
            args.add(s.requester());
        }
        sql.append(" ORDER BY n.recorded_at, c.credential_id");
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (PreparedStatement p = c.prepareStatement(sql.toString())) {
            p.setFetchSize(FETCH_SIZE);
            for (int i = 0; i < args.size(); i++) {
                p.setObject(i + 1, args.get(i));
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    builder.acceptReconciledAfterClose(credential(r));
                }
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
    }

    /**
     * The credentials behind the repeated approvals, up to the builder's row limit in all, found by
     * approver (an index of V2) instead of holding every credential of every pair during the stream.
     */
    public void repeated(Connection c, ReviewSettings s, AccessReviewBuilder builder) throws SQLException {
        int left = builder.rows();
        for (AccessReview.Pair pair : builder.repeatedPairs()) {
            if (left <= 0) {
                return;
            }
            StringBuilder extra = new StringBuilder(" AND c.approver = ? AND c.requester = ?");
            List<Object> args = new ArrayList<>(List.of(utc(s.until()), utc(s.since()), pair.approver(),
                    pair.requester()));
            if (s.target() != null) {
                extra.append(" AND c.target = ?");
                args.add(s.target());
            }
            extra.append(" ORDER BY c.requested_at, c.latest_seq LIMIT ?");
            args.add(left);
            try (PreparedStatement p = c.prepareStatement(select(extra.toString()))) {
                for (int i = 0; i < args.size(); i++) {
                    p.setObject(i + 1, args.get(i));
                }
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        builder.acceptRepeated(credential(r), pair.approvals());
                        left--;
                    }
                }
            }
        }
    }

    /** The newest row of the ledger, or null when it is empty. */
    public @Nullable AccessReview.Head head(Connection c) throws SQLException {
        try (java.sql.Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT seq, hash FROM " + table.auditEvents() + " ORDER BY seq DESC LIMIT 1")) {
            return r.next() ? new AccessReview.Head(r.getLong(1), r.getString(2)) : null;
        }
    }

    /** When row {@code seq} says it was recorded, or null if there is no such row. */
    public @Nullable Instant recordedAt(Connection c, long seq) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT recorded_at FROM " + table.auditEvents() + " WHERE seq = ?")) {
            p.setLong(1, seq);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? LedgerTable.instant(r, "recorded_at") : null;
            }
        }
    }

    /** Every role of the cluster and whether it can log in; readable by any login. */
    public static Map<String, Boolean> roles(Connection c) throws SQLException {
        Map<String, Boolean> out = new HashMap<>();
        try (java.sql.Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT rolname, rolcanlogin FROM pg_roles")) {
            while (r.next()) {
                out.put(r.getString(1), r.getBoolean(2));
            }
        }
        return out;
    }


    private static ReviewCredential credential(ResultSet r) throws SQLException {
        return new ReviewCredential((UUID) r.getObject("credential_id"), r.getString("requester"), r.getString("target"),
                r.getString("role_name"), r.getString("approver"), r.getString("reason"),
                LedgerTable.instant(r, "requested_at"), LedgerTable.instant(r, "issued_at"),
                LedgerTable.instant(r, "valid_until"), r.getString("state"), r.getString("state_actor"),
                r.getString("state_detail"), LedgerTable.instant(r, "ended_at"), LedgerTable.instant(r, "noted_at"),
                r.getString("note"));
    }
}
