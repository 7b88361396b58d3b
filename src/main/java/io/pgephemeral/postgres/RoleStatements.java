package io.pgephemeral.postgres;

import io.pgephemeral.broker.NewLogin;
import io.pgephemeral.database.Sql;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The role DDL the broker sends, as text. Utility statements (CREATE ROLE, GRANT, DROP ROLE) take
 * no bind parameters, so every name is quoted here and nothing else goes into the text but numbers
 * the broker formats itself and the password's SCRAM verifier, never the password.
 */
final class RoleStatements {

    private RoleStatements() {
    }

    /** SET LOCAL takes no parameters: the wait is a number formatted here, in milliseconds. */
    static String lockTimeout(Duration wait) {
        return "SET LOCAL lock_timeout = '" + wait.toMillis() + "ms'";
    }

    /** The transaction-scoped advisory lock that serialises membership changes and drops. */
    static String advisoryLock(long key) {
        return "SELECT pg_advisory_xact_lock(" + key + ")";
    }

    /**
     * 16+: {@code createrole_self_grant} (settable per role or database) would also grant each new
     * login to its creator WITH INHERIT or SET, handing the creator, or the bot, every target's
     * privileges. Off for the create's own transaction, whatever the server says.
     */
    static String noSelfGrant() {
        return "SET LOCAL createrole_self_grant = ''";
    }

    /**
     * Runs the rest of the transaction as {@code role} (a creator role), or, with null, as the bot
     * again. LOCAL: it ends with the transaction, so a pooled connection never keeps it.
     */
    static String setRole(String role) {
        return "SET LOCAL ROLE " + (role == null ? "NONE" : Sql.ident(role));
    }

    /**
     * The new login, with every attribute that could widen it spelled out as off, and the
     * password as its SCRAM verifier (the server stores it as sent, and never sees the password).
     */
    static String createRole(NewLogin login) {
        return "CREATE ROLE " + Sql.ident(login.roleName())
                + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                + (login.target().inherit() ? "INHERIT" : "NOINHERIT")
                + " CONNECTION LIMIT " + login.connectionLimit()
                + " VALID UNTIL " + Sql.timestamp(login.validUntil())
                + " PASSWORD " + Sql.literal(login.scramVerifier());
    }

    /**
     * The marker only says "the broker made this"; it carries no privileges, and on 16+ the
     * membership neither inherits nor allows SET ROLE.
     */
    static String grantMarker(String markerRole, String role, boolean sixteenPlus) {
        return grant(markerRole, role) + (sixteenPlus ? " WITH INHERIT FALSE, SET FALSE" : "");
    }

    static String grant(String granted, String to) {
        return "GRANT " + Sql.ident(granted) + " TO " + Sql.ident(to);
    }

    static String revoke(String granted, String from) {
        return "REVOKE " + Sql.ident(granted) + " FROM " + Sql.ident(from);
    }

    /** VALID UNTIL and NOLOGIN are checked only when a session starts: this stops new ones. */
    static String noLogin(String role) {
        return "ALTER ROLE " + Sql.ident(role) + " NOLOGIN";
    }

    /** {@link #noLogin} for several roles, as one batch. */
    static String noLogin(List<String> roles) {
        return String.join("; ", roles.stream().map(RoleStatements::noLogin).toList());
    }

    /** One statement for all of them: it fails, and changes nothing, if any of them cannot go. */
    static String dropRoles(List<String> roles) {
        return "DROP ROLE " + String.join(", ", roles.stream().map(Sql::ident).toList());
    }

    /**
     * REASSIGN OWNED needs the privileges of the role, which the bot does not hold by default on
     * 16+ (it only administers the roles it creates): it grants the role to itself first, as the
     * role's creator when a creator role made it; the grant disappears with the role.
     */
    static String grantToBot(String role, boolean sixteenPlus) {
        return "GRANT " + Sql.ident(role) + " TO SESSION_USER" + (sixteenPlus ? " WITH INHERIT TRUE" : "");
    }

    static String reassignOwned(String role, String to) {
        return "REASSIGN OWNED BY " + Sql.ident(role) + " TO " + Sql.ident(to);
    }

    static String dropOwned(String role) {
        return "DROP OWNED BY " + Sql.ident(role);
    }

    /** A role that cannot be dropped: no login, no password, expired. */
    static String disable(String role) {
        return "ALTER ROLE " + Sql.ident(role) + " NOLOGIN PASSWORD NULL VALID UNTIL " + Sql.timestamp(Instant.EPOCH);
    }
}
