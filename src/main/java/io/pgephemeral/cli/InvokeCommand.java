package io.pgephemeral.cli;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.pgephemeral.sym.SymResponse;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "invoke",
        description = {"Run one Sym event through the Lambda handler; print Sym's response.", "",
                "The event goes through exactly the code Lambda runs, configured by the same BROKER_* "
                + "variables. Exit status 0 when the response has no errors, 1 otherwise."},
        mixinStandardHelpOptions = true)
public class InvokeCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE|-", defaultValue = "-",
            description = "the event JSON; - (the default) reads standard input")
    String file;

    @Inject
    LambdaRunner lambda;

    @Inject
    JsonMapper json;

    @Override
    public Integer call() throws IOException {
        Map<String, Object> event;
        try {
            event = json.readValue(read(file), Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            return lambda.print(SymResponse.error("the event is not a JSON object: " + firstLine(e)));
        }
        return lambda.run(event);
    }

    private static byte[] read(String file) throws IOException {
        if (file.equals("-")) {
            try (InputStream in = System.in) {
                return in.readAllBytes();
            }
        }
        return Files.readAllBytes(Path.of(file));
    }

    private static String firstLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
