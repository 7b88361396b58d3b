package io.pgephemeral.bench;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.pgephemeral.function.BrokerFunction;
import io.pgephemeral.sym.SymResponse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a Lambda cold start does: a new JVM builds the handler with its no-argument constructor
 * (configuration from the environment) and answers one escalate. Prints the response, then the
 * process's peak resident memory, and exits; the parent times it from the outside.
 */
public final class ColdStart {

    private ColdStart() {
    }

    public static void main(String[] args) throws Exception {
        byte[] event = Files.readAllBytes(Path.of(args[0]));
        try (BrokerFunction function = new BrokerFunction()) {
            Map<String, Object> input = JsonMapper.createDefault().readValue(event,
                    Argument.mapOf(String.class, Object.class));
            SymResponse response = function.handleRequest(input, null);
            // The parent stops its clock at this line: the first response, as Sym would see it.
            System.out.println(response.succeeded() ? "OK " + response.body().get("role") : "ERROR " + response.errors());
            System.out.flush();
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                System.out.println("PEAK_RSS_KB " + line.replaceAll("\\D", ""));
            }
        }
    }
}
