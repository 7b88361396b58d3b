package io.pgephemeral.postgres;

import io.pgephemeral.broker.NewLogin;
import io.pgephemeral.broker.Target;
import io.pgephemeral.crypto.ScramVerifier;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exact text of the role DDL, without a database: quoting, attributes, and no password. */
class RoleStatementsTest {

    /** A name that ends the identifier, runs a statement of its own and comments out the rest, if not quoted. */
    private static final String HOSTILE = "eph_x\"; DROP ROLE postgres; --";
    private static final String HOSTILE_QUOTED = "\"eph_x\"\"; DROP ROLE postgres; --\"";
    private static final Instant UNTIL = Instant.parse("2026-11-23T10:00:00Z");

    @Test
    void aNewLoginIsCreatedWithItsVerifierAndEveryWideningAttributeOff() {
        String password = "correct horse battery staple 'quoted'";
        String verifier = ScramVerifier.of(password, "0123456789abcdef".getBytes(StandardCharsets.US_ASCII), 4096);
        NewLogin login = new NewLogin(HOSTILE, verifier, UNTIL, new Target("ro", List.of("readonly"), false), 5);

        String sql = RoleStatements.createRole(login);

        assertEquals("CREATE ROLE " + HOSTILE_QUOTED + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                + " NOBYPASSRLS NOINHERIT CONNECTION LIMIT 5 VALID UNTIL '2026-11-23 10:00:00+00' PASSWORD '"
                + verifier + "'", sql);
        assertTrue(verifier.startsWith("SCRAM-SHA-256$4096:"), verifier);
        assertFalse(sql.contains(password), "the password never goes into SQL text");
        assertFalse(sql.contains("correct horse"), "nor any part of it");
    }

    @Test
    void inheritFollowsTheTarget() {
        NewLogin login = new NewLogin("eph_a", "SCRAM-SHA-256$4096:x", UNTIL, new Target("rw", List.of("rw"), true), 1);
        assertTrue(RoleStatements.createRole(login).contains(" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                + " NOBYPASSRLS INHERIT CONNECTION LIMIT 1 "), RoleStatements.createRole(login));
    }

    @Test
    void grantsQuoteBothSidesAndTheMarkerNeitherInheritsNorSetsOnSixteen() {
        assertEquals("GRANT \"ephemeral_managed\" TO " + HOSTILE_QUOTED + " WITH INHERIT FALSE, SET FALSE",
                RoleStatements.grantMarker("ephemeral_managed", HOSTILE, true));
        assertEquals("GRANT \"ephemeral_managed\" TO " + HOSTILE_QUOTED,
                RoleStatements.grantMarker("ephemeral_managed", HOSTILE, false));
        assertEquals("GRANT " + HOSTILE_QUOTED + " TO \"eph_a\"", RoleStatements.grant(HOSTILE, "eph_a"));
        assertEquals("REVOKE \"Read Only\" FROM " + HOSTILE_QUOTED, RoleStatements.revoke("Read Only", HOSTILE));
    }

    @Test
    void removalStatementsQuoteEveryName() {
        assertEquals("ALTER ROLE " + HOSTILE_QUOTED + " NOLOGIN", RoleStatements.noLogin(HOSTILE));
        assertEquals("ALTER ROLE \"a\" NOLOGIN; ALTER ROLE " + HOSTILE_QUOTED + " NOLOGIN",
                RoleStatements.noLogin(List.of("a", HOSTILE)));
        assertEquals("DROP ROLE \"a\", " + HOSTILE_QUOTED, RoleStatements.dropRoles(List.of("a", HOSTILE)));
        assertEquals("GRANT " + HOSTILE_QUOTED + " TO SESSION_USER WITH INHERIT TRUE",
                RoleStatements.grantToBot(HOSTILE, true));
        assertEquals("GRANT " + HOSTILE_QUOTED + " TO SESSION_USER", RoleStatements.grantToBot(HOSTILE, false));
        assertEquals("REASSIGN OWNED BY " + HOSTILE_QUOTED + " TO \"keeper\"", RoleStatements.reassignOwned(HOSTILE, "keeper"));
        assertEquals("DROP OWNED BY " + HOSTILE_QUOTED, RoleStatements.dropOwned(HOSTILE));
        assertEquals("SET LOCAL ROLE " + HOSTILE_QUOTED, RoleStatements.setRole(HOSTILE));
        assertEquals("SET LOCAL ROLE NONE", RoleStatements.setRole(null));
        assertEquals("ALTER ROLE " + HOSTILE_QUOTED + " NOLOGIN PASSWORD NULL VALID UNTIL '1970-01-01 00:00:00+00'",
                RoleStatements.disable(HOSTILE));
    }

    @Test
    void lockStatementsCarryOnlyNumbers() {
        assertEquals("SET LOCAL lock_timeout = '1500ms'", RoleStatements.lockTimeout(Duration.ofMillis(1500)));
        assertEquals("SELECT pg_advisory_xact_lock(7262931)", RoleStatements.advisoryLock(7262931));
    }

    @Test
    void aNameThatCannotBeQuotedIsRefusedNotSent() {
        assertThrows(IllegalArgumentException.class, () -> RoleStatements.noLogin("a\0b"));
        assertThrows(IllegalArgumentException.class, () -> RoleStatements.dropRoles(List.of("ok", "")));
    }
}
