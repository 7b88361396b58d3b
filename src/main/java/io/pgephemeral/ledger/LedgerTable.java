package io.pgephemeral.ledger;

import io.pgephemeral.database.Sql;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/**
 * Where a ledger lives: its schema ({@code ephemeral} normally; an auditor may verify a restored
 * copy in another schema), with the quoted names of the table and the audit views, and how a row
 * of either becomes a {@link LedgerEntry}.
 */
public record LedgerTable(String schema) {

    public static final LedgerTable DEFAULT = new LedgerTable(LedgerMigrations.SCHEMA);

    /** The base table, which only the broker writes and nobody reads but its owner and the broker. */
    public String events() {
        return qualified("ledger_event");
    }

    /** Every event, hashes included: what auditors verify and export. */
    public String auditEvents() {
        return qualified("audit_events");
    }

    /** One row per credential, with its latest state. */
    public String auditCredentials() {
        return qualified("audit_credentials");
    }

    /** The credentials that may be usable now: the active rows of {@link #auditCredentials()}. */
    public String auditActive() {
        return qualified("audit_active");
    }

    /** The view every migrate leaves with the ledger's version (afterMigrate.sql). */
    public String schemaVersion() {
        return qualified("ledger_schema_version");
    }

    private String qualified(String name) {
        return Sql.ident(schema) + "." + Sql.ident(name);
    }

    /** Reads the current row of a result over the table or {@code audit_events}. */
    public static LedgerEntry entry(ResultSet r) throws SQLException {
        return new LedgerEntry(r.getLong("seq"), (UUID) r.getObject("credential_id"), r.getString("run_id"),
                r.getInt("attempt"), r.getString("event"), instant(r, "recorded_at"), r.getString("requester"),
                r.getString("approver"), r.getString("reason"), r.getString("target"), r.getString("role_name"),
                r.getString("secret_id"), instant(r, "valid_until"), r.getString("actor"), r.getString("detail"),
                r.getString("prev_hash"), r.getString("hash"));
    }

    /** A timestamptz as an instant, whatever the session's or the JVM's time zone. */
    public static Instant instant(ResultSet r, String column) throws SQLException {
        java.time.OffsetDateTime t = r.getObject(column, java.time.OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
