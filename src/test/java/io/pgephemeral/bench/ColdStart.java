package io.pgephemeral.bench;

import com.amazonaws.services.lambda.runtime.CustomPojoSerializer;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import io.pgephemeral.function.BrokerFunction;
import io.pgephemeral.sym.SymResponse;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * What a Lambda cold start does: a new JVM builds the handler with its no-argument constructor
 * (configuration from the environment) and answers one escalate. Prints the response, then the
 * process's CPU time and peak resident memory, and exits; the parent times it from the outside.
 */
public final class ColdStart {

    private ColdStart() {
    }

    /** The environment a cold start gets: the test server's bot and the fake Secrets Manager. */
    static void configure(Map<String, String> e, io.pgephemeral.testing.TestEnvironment env) {
        e.put("BROKER_DB_URL", env.jdbcUrl());
        e.put("BROKER_DB_USER", io.pgephemeral.testing.TestEnvironment.BOT);
        e.put("BROKER_DB_PASSWORD", env.botPassword());
        e.put("BROKER_TARGETS", "readonly=readonly");
        e.put("AWS_REGION", "us-east-1");
        e.put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        e.put("AWS_SECRET_ACCESS_KEY", "example");
        e.put("AWS_ENDPOINT_URL_SECRETS_MANAGER", env.secretsManager().endpoint().toString());
        e.put("PG_EPHEMERAL_LOG_LEVEL", "WARN");
    }

    public static void main(String[] args) throws Exception {
        // What the Lambda runtime does: the serializer the class path registers reads the event and
        // writes the response; the handler is called through Lambda's interface (so the same
        // launcher runs another build's handler, for ColdStartAB).
        CustomPojoSerializer serializer = ServiceLoader.load(CustomPojoSerializer.class).findFirst().orElseThrow();
        try (BrokerFunction function = new BrokerFunction();
             InputStream event = Files.newInputStream(Path.of(args[0]))) {
            Map<String, Object> input = serializer.fromJson(event, Map.class);
            RequestHandler<Map<String, Object>, SymResponse> handler = function;
            SymResponse response = handler.handleRequest(input, null);
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            serializer.toJson(response, wire, SymResponse.class);
            // The parent stops its clock at this line: the first response, as Sym would see it.
            System.out.println(response.succeeded() && wire.size() > 0
                    ? "OK " + response.body().get("role") : "ERROR " + response.errors());
            System.out.flush();
        }
        // The whole process's CPU (every thread: the JIT's, the collector's, the SDK's build), which
        // the machine's load disturbs less than the wall-clock time the parent measures.
        ProcessHandle.current().info().totalCpuDuration()
                .ifPresent(cpu -> System.out.println("CPU_MS " + cpu.toMillis()));
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                System.out.println("PEAK_RSS_KB " + line.replaceAll("\\D", ""));
            }
        }
    }
}
