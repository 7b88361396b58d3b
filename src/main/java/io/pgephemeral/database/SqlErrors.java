package io.pgephemeral.database;

import io.pgephemeral.broker.ErrorLine;
import org.postgresql.util.PSQLException;

import java.sql.SQLException;
import java.util.Optional;

/** A failed statement or connection as one line: the server's message and SQLSTATE, or what TLS refused. */
public final class SqlErrors {

    private SqlErrors() {
    }

    /** The server's message, without pgjdbc's extra lines, and its SQLSTATE. */
    public static String oneLine(SQLException e) {
        Optional<String> tls = DatabaseTls.explain(e);
        if (tls.isPresent()) {
            return tls.get();
        }
        String message = e instanceof PSQLException p && p.getServerErrorMessage() != null
                ? p.getServerErrorMessage().getMessage() : e.getMessage();
        if (message == null) {
            return e.getClass().getSimpleName();
        }
        String first = ErrorLine.firstLine(message, e.getClass().getSimpleName());
        return e.getSQLState() == null ? first : first + " (SQLSTATE " + e.getSQLState() + ")";
    }
}
