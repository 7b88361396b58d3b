package io.pgephemeral.testing;

import io.pgephemeral.ledger.ChainVerifier;
import io.pgephemeral.ledger.LedgerChain;
import io.pgephemeral.ledger.LedgerEntry;
import io.pgephemeral.ledger.LedgerMigrations;
import io.pgephemeral.ledger.LedgerTable;
import io.pgephemeral.database.Sql;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A second ledger in a schema of its own, migrated exactly like the real one (trigger, grants,
 * views) and written by the bot through the real {@link LedgerChain}. Tamper tests break these
 * copies, never the shared ledger that other tests and {@code ledger verify} rely on.
 */
public final class LedgerCopy implements AutoCloseable {

    private final TestEnvironment env = TestEnvironment.get();
    private final String schema;
    private final LedgerTable table;
    private final LedgerChain chain;
    private final PGSimpleDataSource asBot;

    public LedgerCopy() {
        schema = "ledger_copy_" + UUID.randomUUID().toString().substring(0, 8);
        LedgerMigrations.migrate(env.adminUrl(), null, null, TestEnvironment.BOT, schema);
        table = new LedgerTable(schema);
        asBot = new PGSimpleDataSource();
        asBot.setUrl(env.jdbcUrl());
        asBot.setUser(TestEnvironment.BOT);
        asBot.setPassword(env.botPassword());
        chain = new LedgerChain(asBot, table);
    }

    public String schema() {
        return schema;
    }

    public LedgerTable table() {
        return table;
    }

    /** The events table, schema-qualified and quoted, for SQL in tests. */
    public String events() {
        return table.events();
    }

    public LedgerChain chain() {
        return chain;
    }

    /** Appends {@code n} events of made-up credentials as the bot; returns them as recorded. */
    public List<LedgerEntry> append(int n) {
        List<LedgerEntry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(append(entry(i)));
        }
        return out;
    }

    public LedgerEntry append(LedgerEntry entry) {
        try {
            return chain.append(entry);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A credential's request event, different for every {@code i}. */
    public static LedgerEntry entry(int i) {
        Instant now = Instant.now();
        return new LedgerEntry(null, UUID.randomUUID(), Events.newRunId(), 1, LedgerEntry.REQUESTED, now,
                "person" + i + "@acme.example", "approver@acme.example", "ticket OPS-" + i, "readonly",
                "eph_person" + i + "_x" + i, "pg-ephemeral/person" + i + "@acme.example/readonly",
                now.plus(1, ChronoUnit.HOURS), "approver@acme.example", null);
    }

    /**
     * Runs {@code sql} as the superuser with the append-only trigger switched off, as an attacker
     * with that much power could, and switches it back on.
     */
    public void tamper(String sql) {
        try (Connection c = env.admin(); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE " + events() + " DISABLE TRIGGER USER");
            try {
                s.execute(sql);
            } finally {
                s.execute("ALTER TABLE " + events() + " ENABLE TRIGGER USER");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public ChainVerifier.Result verify() {
        return verify(Map.of());
    }

    public ChainVerifier.Result verify(Map<Long, String> anchors) {
        try (Connection c = env.admin()) {
            return new ChainVerifier(table).verify(c, anchors, rows -> { });
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        Db.execute("DROP SCHEMA " + Sql.ident(schema) + " CASCADE");
    }
}
