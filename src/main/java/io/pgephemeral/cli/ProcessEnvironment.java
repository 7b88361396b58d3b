package io.pgephemeral.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a command reads from the process it runs in, besides the {@code BROKER_*} settings that
 * Micronaut binds: environment variables (PGPASSWORD, PGUSER), standard input, and whether standard
 * input is a terminal, and standard output as a raw stream for bulk output. {@link Main} gives the
 * process's own; tests give their own to run commands in-process.
 *
 * @param variables     the environment variables the commands may read
 * @param stdin         standard input
 * @param stdinTerminal whether a person types standard input (nobody pipes it in)
 * @param stdout        standard output without System.out's PrintStream, which swallows write
 *                      errors (a full disk, a closed pipe): for output that must not end silently
 */
public record ProcessEnvironment(Map<String, String> variables, InputStream stdin, boolean stdinTerminal,
                                 OutputStream stdout) {

    public ProcessEnvironment {
        variables = Map.copyOf(variables);
    }

    /** This JVM's environment, standard input and terminal. */
    public static ProcessEnvironment ofThisProcess() {
        return new ProcessEnvironment(System.getenv(), System.in, stdinIsTerminal(),
                new FileOutputStream(FileDescriptor.out));
    }

    /** An environment variable; null when unset. */
    public String get(String name) {
        return variables.get(name);
    }

    /**
     * On Linux, standard input is a terminal when file descriptor 0 is a pseudo-terminal or a
     * console. Elsewhere the JDK can only say whether the JVM has a console (on JDK 17: both input
     * and output are terminals), which errs towards silence when only the output is redirected.
     */
    static boolean stdinIsTerminal() {
        Path fd0 = Path.of("/proc/self/fd/0");
        if (Files.isSymbolicLink(fd0)) {
            try {
                String target = Files.readSymbolicLink(fd0).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                return false;
            }
        }
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            // JDK 22 and later give a Console even when redirected, and say whether it is a terminal.
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
