package io.pgephemeral.testing;

import io.micronaut.configuration.picocli.MicronautFactory;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.pgephemeral.cli.Main;
import io.pgephemeral.cli.ProcessEnvironment;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line as people run it, configured by environment variables only: the test
 * environment's broker settings unless overridden, and no inherited BROKER_, AWS_ or PG variables.
 *
 * <p>{@link #run(Map, String...)} runs it in this JVM, through {@link Main#commandLine} as
 * {@code main} does: BROKER_ variables become the context's {@code broker.*} properties (with
 * the process's own environment variables and system properties not read), AWS_ variables become
 * the AWS SDK's twin system properties for the call and are put back after it (a variable given
 * as null masks the process's own with an empty property), and the rest (PGPASSWORD, PGUSER) reach
 * the commands as their {@link ProcessEnvironment}. Standard output and error are captured while
 * it runs, so calls are serialised. {@link #jvm} and the methods with JVM options start a JVM of
 * their own, for what only a real process shows: exit status through the launcher, heap limits,
 * an inherited terminal.
 */
public final class Cli {

    public record Run(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    /** The AWS SDK's system properties, by the environment variable each stands for. */
    private static final Map<String, String> AWS_PROPERTIES = Map.ofEntries(
            Map.entry("AWS_ACCESS_KEY_ID", "aws.accessKeyId"),
            Map.entry("AWS_SECRET_ACCESS_KEY", "aws.secretAccessKey"),
            Map.entry("AWS_SESSION_TOKEN", "aws.sessionToken"),
            Map.entry("AWS_REGION", "aws.region"),
            Map.entry("AWS_PROFILE", "aws.profile"),
            Map.entry("AWS_CONFIG_FILE", "aws.configFile"),
            Map.entry("AWS_SHARED_CREDENTIALS_FILE", "aws.sharedCredentialsFile"),
            Map.entry("AWS_EC2_METADATA_DISABLED", "aws.disableEc2Metadata"),
            Map.entry("AWS_WEB_IDENTITY_TOKEN_FILE", "aws.webIdentityTokenFile"),
            Map.entry("AWS_ENDPOINT_URL_STS", "aws.endpointUrlSts"),
            Map.entry("AWS_ENDPOINT_URL_SECRETS_MANAGER", "aws.endpointUrlSecretsManager"));

    private Cli() {
    }

    /** In this JVM, with the default environment. */
    public static Run run(String... args) {
        return run(Map.of(), args);
    }

    /** In this JVM, with {@code extraEnv} over the default environment (a null value unsets). */
    public static Run run(Map<String, String> extraEnv, String... args) {
        return run(extraEnv, new ByteArrayInputStream(new byte[0]), false, args);
    }

    /** In this JVM, with {@code stdin} as standard input, typed at a terminal or not. */
    public static Run run(Map<String, String> extraEnv, InputStream stdin, boolean terminal, String... args) {
        Map<String, String> env = defaultEnvironment();
        env.putAll(extraEnv);
        Map<String, Object> properties = new HashMap<>();
        Map<String, String> awsProperties = new HashMap<>();
        Map<String, String> variables = new HashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith("BROKER_")) {
                if (value != null) {
                    properties.put("broker." + name.substring("BROKER_".length()).toLowerCase(Locale.ROOT)
                            .replace('_', '-'), value);
                }
            } else if (name.startsWith("AWS_")) {
                String property = AWS_PROPERTIES.get(name);
                if (property == null) {
                    throw new IllegalArgumentException(name + " has no system property here: run the command with Cli.jvm");
                }
                awsProperties.put(property, value == null ? "" : value);
            } else if (value != null) {
                variables.put(name, value);
            }
        });
        return inProcess(properties, awsProperties, variables, stdin, terminal, args);
    }

    /**
     * The same command in this JVM, in an application context of the test environment's broker
     * settings plus {@code overrides} ({@code broker.*} keys), with no environment variables.
     */
    public static Run inProcess(Map<String, Object> overrides, String... args) {
        Map<String, Object> properties = TestEnvironment.get().brokerProperties();
        properties.putAll(overrides);
        return inProcess(properties, Map.of(), Map.of(), new ByteArrayInputStream(new byte[0]), false, args);
    }

    private static synchronized Run inProcess(Map<String, Object> properties, Map<String, String> awsProperties,
                                              Map<String, String> variables, InputStream stdin, boolean terminal,
                                              String... args) {
        Map<String, String> saved = new HashMap<>();
        awsProperties.keySet().forEach(k -> saved.put(k, System.getProperty(k)));
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProcessEnvironment process = new ProcessEnvironment(variables, stdin, terminal, out);
        try {
            awsProperties.forEach(System::setProperty);
            try (ApplicationContext context = ApplicationContext.builder(Environment.CLI)
                    .environmentPropertySource(false).properties(properties).singletons(process).start()) {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                int exit = Main.commandLine(new MicronautFactory(context)).execute(args);
                System.out.flush();
                System.err.flush();
                return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
            }
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
            saved.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
    }

    /** In a JVM of its own, with {@code extraEnv} over the default environment (a null value unsets). */
    public static Run jvm(Map<String, String> extraEnv, String... args) throws Exception {
        return run(extraEnv, List.of(), args);
    }

    /** What a child JVM gets: the test environment's settings, by the names README documents. */
    private static Map<String, String> defaultEnvironment() {
        TestEnvironment env = TestEnvironment.get();
        Map<String, String> e = new HashMap<>();
        e.put("BROKER_DB_URL", env.jdbcUrl());
        e.put("BROKER_DB_USER", TestEnvironment.BOT);
        e.put("BROKER_DB_PASSWORD", env.botPassword());
        e.put("BROKER_TARGETS", "readonly=readonly");
        e.put("AWS_REGION", FakeSecretsManager.REGION);
        e.put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        e.put("AWS_SECRET_ACCESS_KEY", "example");
        e.put("AWS_ENDPOINT_URL_SECRETS_MANAGER", env.secretsManager().endpoint().toString());
        return e;
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
            e.putAll(defaultEnvironment());
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
