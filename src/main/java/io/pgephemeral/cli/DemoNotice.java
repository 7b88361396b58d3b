package io.pgephemeral.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code pg-ephemeral demo}, as older guides showed it. The demo needs an embedded PostgreSQL and
 * its binaries, which stay out of this jar (it is what runs on Lambda): it runs from a source
 * checkout. Hidden from the help; says where the demo went instead of "unknown subcommand".
 */
@Command(name = "demo", hidden = true, description = "Where the demo went: it runs from a source checkout.")
public class DemoNotice implements Callable<Integer> {

    static final String MESSAGE = "demo: not part of the released jar; from a source checkout run "
            + "'mvn -B -DskipTests test-compile exec:java@demo' (see docs/development.md)";

    @Override
    public Integer call() {
        System.err.println(MESSAGE);
        return 2;
    }
}
