package io.pgephemeral.cli;

import io.micronaut.configuration.picocli.MicronautFactory;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar pg-ephemeral.jar}: the broker's command line. */
@Command(name = "pg-ephemeral",
        description = "Temporary PostgreSQL credentials for Sym access requests.%n"
                + "Configuration comes from BROKER_* environment variables (see docs/operators.md).",
        mixinStandardHelpOptions = true,
        version = "pg-ephemeral 0.1.0",
        subcommands = {InvokeCommand.class, SweepCommand.class, MigrateCommand.class, DemoNotice.class,
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
        int exit;
        try (ApplicationContext context = ApplicationContext.builder(Main.class, Environment.CLI).start()) {
            exit = commandLine(new MicronautFactory(context)).execute(args);
        }
        System.exit(exit);
    }

    /** The command line as people meet it; tests run it in-process through this too. */
    public static CommandLine commandLine(CommandLine.IFactory factory) {
        return new CommandLine(Main.class, factory).setParameterExceptionHandler(UsageErrors::handle);
    }

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }
}
