package io.pgephemeral.cli;

import jakarta.inject.Inject;
import picocli.CommandLine.Command;

import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "sweep",
        description = {"End expired credentials and clean up what failures left behind.", "",
                "Runs one sweep exactly as the scheduled Lambda invocation does, and prints its counts. Exit "
                + "status 0 when every credential it looked at was handled, 1 otherwise."},
        mixinStandardHelpOptions = true)
public class SweepCommand implements Callable<Integer> {

    @Inject
    LambdaRunner lambda;

    @Override
    public Integer call() {
        return lambda.run(Map.of("source", "aws.events", "detail-type", "Scheduled Event", "detail", Map.of()));
    }
}
