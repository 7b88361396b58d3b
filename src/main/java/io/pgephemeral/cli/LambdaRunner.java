package io.pgephemeral.cli;

import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.pgephemeral.function.BrokerFunction;
import io.pgephemeral.sym.SymResponse;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Runs an event through the Lambda handler inside the command's own application context, prints
 * the response JSON on standard output, and turns it into an exit status: 0 without errors, 1 with.
 */
@Singleton
class LambdaRunner {

    private final ApplicationContext context;
    private final JsonMapper json;

    LambdaRunner(ApplicationContext context, JsonMapper json) {
        this.context = context;
        this.json = json;
    }

    int run(Map<String, Object> event) {
        return print(new BrokerFunction(context).handleRequest(event, null));
    }

    int print(SymResponse response) {
        try {
            System.out.println(new String(json.writeValueAsBytes(response), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return response.succeeded() ? 0 : 1;
    }
}
