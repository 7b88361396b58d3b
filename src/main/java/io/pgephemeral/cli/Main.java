package io.pgephemeral.cli;

import io.micronaut.configuration.picocli.PicocliRunner;
import picocli.CommandLine.Command;

/** {@code java -jar pg-ephemeral.jar}: the broker's command line. */
@Command(name = "pg-ephemeral",
        description = "Temporary PostgreSQL credentials for Sym access requests.%n"
                + "Configuration comes from BROKER_* environment variables (see docs/operators.md).",
        mixinStandardHelpOptions = true,
        version = "pg-ephemeral 0.1.0",
        subcommands = {InvokeCommand.class, SweepCommand.class, MigrateCommand.class, DemoCommand.class,
                LedgerCommand.class, CredsCommand.class})
public class Main implements Runnable {

    /**
     * pgjdbc reports through java.util.logging, which prints to stderr: a failed TLS host-name
     * check added two SEVERE lines above the command's own one-line error. The commands say what
     * went wrong themselves. Held here: JUL keeps loggers only weakly.
     */
    private static final java.util.logging.Logger PGJDBC = java.util.logging.Logger.getLogger("org.postgresql");

    public static void main(String[] args) {
        PGJDBC.setLevel(java.util.logging.Level.OFF);
        System.exit(PicocliRunner.execute(Main.class, args));
    }

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }
}
