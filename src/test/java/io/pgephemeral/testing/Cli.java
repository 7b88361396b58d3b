package io.pgephemeral.testing;

import io.micronaut.configuration.picocli.MicronautFactory;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.pgephemeral.cli.Main;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line in its own JVM, as people run it: configured by environment variables only,
 * the test environment's broker settings unless overridden, and no inherited BROKER_, AWS_ or PG
 * variables. {@link #inProcess} runs it in this JVM instead, for commands that need no environment
 * variable of their own: much cheaper on a shared machine.
 */
public final class Cli {

    public record Run(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private Cli() {
    }

    public static Run run(String... args) throws Exception {
        return run(Map.of(), List.of(), args);
    }

    public static Run run(Map<String, String> extraEnv, String... args) throws Exception {
        return run(extraEnv, List.of(), args);
    }

    /**
     * The same command in this JVM: picocli with Micronaut's factory, as {@code Main} runs it, in an
     * application context of the test environment's broker settings plus {@code overrides}
     * ({@code broker.*} keys). Standard output and error are captured while it runs, so callers
     * must not run two at once.
     */
    public static synchronized Run inProcess(Map<String, Object> overrides, String... args) {
        Map<String, Object> properties = TestEnvironment.get().brokerProperties();
        properties.putAll(overrides);
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ApplicationContext context = ApplicationContext.builder(Environment.CLI).properties(properties).start()) {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = new CommandLine(Main.class, new MicronautFactory(context)).execute(args);
            System.out.flush();
            System.err.flush();
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    /** @param jvmOptions e.g. {@code -Xmx48m} */
    public static Run run(Map<String, String> extraEnv, List<String> jvmOptions, String... args) throws Exception {
        Path out = Files.createTempFile("cli", ".out");
        try {
            Run run = runTo(out, extraEnv, jvmOptions, args);
            return new Run(run.exit(), Files.readString(out), run.stderr());
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Like {@link #run}, with stdout left in {@code out} for outputs too big to hold (stdout is ""). */
    public static Run runTo(Path out, Map<String, String> extraEnv, List<String> jvmOptions, String... args)
            throws Exception {
        TestEnvironment env = TestEnvironment.get();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        // Without empty entries: the JVM reads one as the working directory, which would put the
        // repository's own schema/ folder on the class path next to target/classes.
        String classPath = java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty()).collect(java.util.stream.Collectors.joining(File.pathSeparator));
        command.addAll(List.of("-cp", classPath, Main.class.getName()));
        command.addAll(List.of(args));
        Path err = Files.createTempFile("cli", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Map<String, String> e = pb.environment();
            e.keySet().removeIf(k -> k.startsWith("BROKER_") || k.startsWith("AWS_") || k.startsWith("PG"));
            e.put("BROKER_DB_URL", env.jdbcUrl());
            e.put("BROKER_DB_USER", TestEnvironment.BOT);
            e.put("BROKER_DB_PASSWORD", env.botPassword());
            e.put("BROKER_TARGETS", "readonly=readonly");
            e.put("AWS_REGION", FakeSecretsManager.REGION);
            e.put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
            e.put("AWS_SECRET_ACCESS_KEY", "example");
            e.put("AWS_ENDPOINT_URL_SECRETS_MANAGER", env.secretsManager().endpoint().toString());
            extraEnv.forEach((k, v) -> {
                if (v == null) {
                    e.remove(k);
                } else {
                    e.put(k, v);
                }
            });
            Process p = pb.start();
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the CLI finished");
            return new Run(p.exitValue(), "", Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
