package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static io.pgephemeral.database.Timestamps.utc;

/**
 * The auditors' questions, asked of the audit views only (an auditor may read nothing else). Every
 * value from the command line is a bind parameter; only fixed SQL fragments are ever concatenated.
 */
public final class AuditQueries {

    /** The states a credential can be in: the event of its latest row. */
    public static final Set<String> STATES = Set.of(LedgerEntry.REQUESTED, LedgerEntry.ISSUED, LedgerEntry.FAILED,
            LedgerEntry.REVOKED, LedgerEntry.DISABLED, LedgerEntry.EXPIRED, LedgerEntry.RECONCILED);

    /**
     * Which credentials to list. {@code since}/{@code until} select credentials whose time
     * (requested until ended, or until now when still active) overlaps that interval, so
     * "who had access on Tuesday" includes a credential issued on Monday and revoked on Wednesday.
     */
    public record Filter(@Nullable String requester, @Nullable String target, @Nullable String approver,
                         @Nullable String state, @Nullable Instant since, @Nullable Instant until, boolean activeOnly) {
        public static final Filter ALL = new Filter(null, null, null, null, null, null, false);
    }

    /** One credential as {@code audit_credentials} shows it. */
    public record Credential(UUID credentialId, String requester, String target, String roleName,
                             @Nullable String approver, @Nullable String reason, Instant requestedAt,
                             @Nullable Instant issuedAt, Instant validUntil, String state, Instant stateAt,
                             @Nullable String stateActor, @Nullable String stateDetail, boolean active,
                             @Nullable Instant endedAt, String runId, int attempt, @Nullable String secretId) {
    }

    private final LedgerTable table;

    public AuditQueries(LedgerTable table) {
        this.table = table;
    }

    /**
     * The newest {@code limit} credentials that match, newest first. Active ones only come from
     * {@code audit_active}, which holds exactly the active rows of {@code audit_credentials} and
     * finds them among the few open credentials instead of among all of them.
     */
    public List<Credential> credentials(Connection c, Filter f, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT * FROM "
                + (f.activeOnly() ? table.auditActive() : table.auditCredentials()) + " WHERE true");
        List<Object> args = new ArrayList<>();
        condition(sql, args, " AND requester = ?", f.requester());
        condition(sql, args, " AND target = ?", f.target());
        condition(sql, args, " AND approver = ?", f.approver());
        condition(sql, args, " AND state = ?", f.state());
        condition(sql, args, " AND requested_at < ?", utc(f.until()));
        condition(sql, args, " AND coalesce(ended_at, 'infinity') >= ?", utc(f.since()));
        sql.append(" ORDER BY requested_at DESC, latest_seq DESC LIMIT ?");
        args.add(limit);
        try (PreparedStatement p = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                p.setObject(i + 1, args.get(i));
            }
            List<Credential> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(credential(r));
                }
            }
            return out;
        }
    }

    public Optional<Credential> credential(Connection c, UUID credentialId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT * FROM " + table.auditCredentials()
                + " WHERE credential_id = ?")) {
            p.setObject(1, credentialId);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(credential(r)) : Optional.empty();
            }
        }
    }

    /** Every event of one credential, oldest first. */
    public List<LedgerEntry> events(Connection c, UUID credentialId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT * FROM " + table.auditEvents()
                + " WHERE credential_id = ? ORDER BY seq")) {
            p.setObject(1, credentialId);
            List<LedgerEntry> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(LedgerTable.entry(r));
                }
            }
            return out;
        }
    }

    private static void condition(StringBuilder sql, List<Object> args, String fragment, @Nullable Object value) {
        if (value != null) {
            sql.append(fragment);
            args.add(value);
        }
    }


    private static Credential credential(ResultSet r) throws SQLException {
        return new Credential((UUID) r.getObject("credential_id"), r.getString("requester"), r.getString("target"),
                r.getString("role_name"), r.getString("approver"), r.getString("reason"),
                LedgerTable.instant(r, "requested_at"), LedgerTable.instant(r, "issued_at"),
                LedgerTable.instant(r, "valid_until"), r.getString("state"), LedgerTable.instant(r, "state_at"),
                r.getString("state_actor"), r.getString("state_detail"), r.getBoolean("active"),
                LedgerTable.instant(r, "ended_at"), r.getString("run_id"), r.getInt("attempt"), r.getString("secret_id"));
    }
}
