package io.pgephemeral.broker;

/**
 * An exception as the one line a person reads: its message's first line, or its type when it has
 * no message. Errors reach Sym, the CLI and the log as single lines; the libraries below the broker
 * (pgjdbc, the AWS SDK, Jackson, Flyway) add hints, locations and causes on further lines.
 *
 * <p>Callers whose exceptions may carry a secret keep their own reading: the AWS SDK's messages are
 * reduced by {@code SecretsManagerStore.describe}, which never includes the request.
 */
public final class ErrorLine {

    private ErrorLine() {
    }

    /** The first line of the message, stripped; the exception's simple class name if there is none. */
    public static String of(Throwable e) {
        return firstLine(e.getMessage(), e.getClass().getSimpleName());
    }

    /** The first line of {@code text}, stripped; {@code otherwise} if it is null or blank. */
    public static String firstLine(String text, String otherwise) {
        if (text == null || text.isBlank()) {
            return otherwise;
        }
        return text.strip().lines().findFirst().orElse(otherwise).strip();
    }

    /** The innermost cause: where a chain of wrappers (bean creation, reflection) began. */
    public static Throwable root(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }
}
