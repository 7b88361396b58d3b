package io.pgephemeral.cli;

import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line in its own JVM, configured only by environment variables with the names
 * docs/operators.md documents (Micronaut's own mapping of them, which the in-process runs replace), and reaching
 * Secrets Manager through the SDK's standard endpoint variable; the rest in-process.
 */
class CommandLineTest {

    private static final TestEnvironment env = TestEnvironment.get();

    record Run(int exit, String stdout, String stderr) {
    }

    private static Run cli(Map<String, String> extraEnv, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("cli", ".out");
        Path err = Files.createTempFile("cli", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("BROKER_") || k.startsWith("AWS_"));
        e.put("BROKER_DB_URL", env.jdbcUrl());
        e.put("BROKER_DB_USER", TestEnvironment.BOT);
        e.put("BROKER_DB_PASSWORD", env.botPassword());
        e.put("BROKER_TARGETS", "readonly=readonly");
        e.put("BROKER_MAX_TTL", "2h");
        e.put("BROKER_DURATION_UNIT", "minutes");
        e.put("AWS_REGION", "us-east-1");
        e.put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        e.put("AWS_SECRET_ACCESS_KEY", "example");
        e.put("AWS_ENDPOINT_URL_SECRETS_MANAGER", env.secretsManager().endpoint().toString());
        e.putAll(extraEnv);
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the CLI finished");
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void invokeRunsAnEventFromAFileAndExitsZeroOnSuccess() throws Exception {
        String run = Events.newRunId();
        Path event = Files.createTempFile("escalate", ".json");
        // A bare number is read in BROKER_DURATION_UNIT: 90 minutes.
        Files.write(event, env.json().writeValueAsBytes(Events.escalate(run, "cli@acme.example", "readonly", 90)));
        Run escalated = cli(Map.of(), "invoke", event.toString());
        assertEquals(0, escalated.exit(), escalated.stderr());
        Map<?, ?> response = env.json().readValue(escalated.stdout(), Map.class);
        assertEquals(List.of(), response.get("errors"));
        Map<?, ?> body = (Map<?, ?>) response.get("body");
        assertEquals(5400, ((Number) body.get("duration_granted_seconds")).intValue());
        String role = (String) body.get("role");
        assertTrue(Db.roleExists(role));
        assertTrue(env.secretsManager().secret((String) body.get("secret_id")) != null,
                "the secret went to the endpoint named by AWS_ENDPOINT_URL_SECRETS_MANAGER");

        Files.write(event, env.json().writeValueAsBytes(Events.deescalate(run, "cli@acme.example", "readonly")));
        Run ended = cli(Map.of(), "invoke", event.toString());
        assertEquals(0, ended.exit(), ended.stderr());
        assertFalse(Db.roleExists(role));
    }

    /** In-process: {@link Cli#run} reads the same BROKER_ variables. */
    @Test
    void invokeExitsOneWithTheErrorInTheResponse() throws Exception {
        Path event = Files.createTempFile("bad", ".json");
        Files.writeString(event, "{\"event\": {\"type\": \"escalate\"}", StandardCharsets.UTF_8);
        Cli.Run broken = Cli.run("invoke", event.toString());
        assertEquals(1, broken.exit());
        assertTrue(broken.stdout().contains("\"errors\":[\"the event is not valid JSON"), broken.stdout());

        Files.write(event, env.json().writeValueAsBytes(
                Events.escalate(Events.newRunId(), "cli@acme.example", "postgres", 60)));
        Cli.Run refused = Cli.run("invoke", event.toString());
        assertEquals(1, refused.exit());
        assertTrue(refused.stdout().contains("target 'postgres' is not on the broker's allow-list"), refused.stdout());
    }

    @Test
    void sweepRunsOneSweepAndPrintsItsCounts() throws Exception {
        Cli.Run sweep = Cli.run("sweep");
        assertEquals(0, sweep.exit(), sweep.stderr());
        Map<?, ?> response = env.json().readValue(sweep.stdout(), Map.class);
        assertEquals(List.of(), response.get("errors"));
        assertTrue(((Map<?, ?>) response.get("body")).containsKey("expired"), sweep.stdout());
    }

    @Test
    void everyCommandDocumentsItself() {
        java.io.StringWriter top = new java.io.StringWriter();
        assertEquals(0, new picocli.CommandLine(new Main()).setOut(new java.io.PrintWriter(top)).execute("--help"));
        for (String command : List.of("invoke", "sweep", "migrate", "ledger", "creds")) {
            assertTrue(top.toString().contains(command), top.toString());
            java.io.StringWriter help = new java.io.StringWriter();
            assertEquals(0, new picocli.CommandLine(new Main()).setOut(new java.io.PrintWriter(help))
                    .execute(command, "--help"), command);
            assertTrue(help.toString().startsWith("Usage: pg-ephemeral " + command), help.toString());
        }
    }
}
