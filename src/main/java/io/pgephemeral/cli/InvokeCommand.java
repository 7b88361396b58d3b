package io.pgephemeral.cli;

import io.pgephemeral.broker.ErrorLine;
import io.pgephemeral.broker.RequestRefused;
import io.pgephemeral.sym.EventJson;
import io.pgephemeral.sym.SymResponse;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "invoke",
        description = {"Run one Sym event through the Lambda handler; print Sym's response.", "",
                "The event goes through exactly the code Lambda runs, configured by the same BROKER_* "
                + "variables. The event must be exactly one JSON object with no key given twice. Exit status 0 "
                + "when the response has no errors, 1 otherwise."},
        mixinStandardHelpOptions = true)
public class InvokeCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE|-", defaultValue = "-",
            description = "the event JSON; - (the default) reads standard input")
    String file;

    @Inject
    LambdaRunner lambda;

    @Inject
    ProcessEnvironment process;

    @Override
    public Integer call() throws IOException {
        Map<String, Object> event;
        if (file.equals("-") && process.stdinTerminal()) {
            // Otherwise a person who forgot the file waits for an answer that never comes.
            System.err.println("invoke: reading a Sym event (JSON) from standard input; end it with Ctrl-D,"
                    + " or press Ctrl-C and give a file: pg-ephemeral invoke EVENT.json");
        }
        try {
            event = EventJson.read(read(file));
        } catch (RequestRefused e) {
            // The same answer, and exit status, as any other bad input the handler refuses.
            return lambda.print(SymResponse.error(e.getMessage()));
        } catch (NoSuchFileException e) {
            return lambda.print(SymResponse.error("no such file: " + file + " (give the path of a Sym event JSON file,"
                    + " or - to read it from standard input)"));
        } catch (AccessDeniedException e) {
            return lambda.print(SymResponse.error("cannot read " + file + ": permission denied"));
        } catch (IOException e) {
            return lambda.print(SymResponse.error("could not read the event from " + file + ": " + firstLine(e)));
        }
        return lambda.run(event);
    }

    /** At most one byte more than the reader accepts: a huge input is refused, not held in memory. */
    private byte[] read(String file) throws IOException {
        if (file.equals("-")) {
            // Not closed: standard input belongs to the process.
            return process.stdin().readNBytes(EventJson.MAX_BYTES + 1);
        }
        Path path = Path.of(file);
        if (Files.isDirectory(path)) {
            throw new IOException("it is a directory, not a file");
        }
        try (InputStream in = Files.newInputStream(path)) {
            return in.readNBytes(EventJson.MAX_BYTES + 1);
        }
    }

    private static String firstLine(Exception e) {
        return ErrorLine.of(e);
    }
}
