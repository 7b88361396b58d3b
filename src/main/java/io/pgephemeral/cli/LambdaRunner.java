package io.pgephemeral.cli;

import io.micronaut.context.ApplicationContext;
import io.pgephemeral.function.BrokerFunction;
import io.pgephemeral.sym.ResponseJson;
import io.pgephemeral.sym.SymResponse;
import jakarta.inject.Singleton;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Runs an event through the Lambda handler inside the command's own application context, prints
 * the response JSON on standard output (written as the Lambda serializer writes it), and turns it
 * into an exit status: 0 without errors, 1 with.
 */
@Singleton
class LambdaRunner {

    private final ApplicationContext context;

    LambdaRunner(ApplicationContext context) {
        this.context = context;
    }

    int run(Map<String, Object> event) {
        return print(new BrokerFunction(context).handleRequest(event, null));
    }

    int print(SymResponse response) {
        System.out.println(new String(ResponseJson.bytes(response), StandardCharsets.UTF_8));
        return response.succeeded() ? 0 : 1;
    }
}
