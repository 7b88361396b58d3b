package io.pgephemeral.cli;

import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.pgephemeral.function.BrokerFunction;
import io.pgephemeral.sym.SymResponse;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "sweep",
        description = {"End expired credentials and clean up what failures left behind.", "",
                "Runs one sweep exactly as the scheduled Lambda invocation does, and prints its counts. Exit "
                + "status 0 when every credential it looked at was handled, 1 otherwise."},
        mixinStandardHelpOptions = true)
public class SweepCommand implements Callable<Integer> {

    @Inject
    ApplicationContext context;

    @Inject
    JsonMapper json;

    @Override
    public Integer call() throws IOException {
        Map<String, Object> scheduled = Map.of("source", "aws.events", "detail-type", "Scheduled Event",
                "detail", Map.of());
        SymResponse response = new BrokerFunction(context).handleRequest(scheduled, null);
        System.out.println(new String(json.writeValueAsBytes(response), StandardCharsets.UTF_8));
        return response.succeeded() ? 0 : 1;
    }
}
