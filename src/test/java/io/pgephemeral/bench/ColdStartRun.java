package io.pgephemeral.bench;

import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One cold start: a new JVM runs {@link ColdStart} (one escalate through the handler), timed from
 * spawning it to its response line; then the escalation it made is ended. For the benchmark's
 * cold-start figures and for {@link ColdStartAB}.
 *
 * @param wallMs     spawn to the response line
 * @param cpuMs      the child's CPU over its whole life, as it reports it (NaN if it did not)
 * @param peakRssMiB the child's peak resident memory (0 if it did not report it)
 */
record ColdStartRun(double wallMs, double cpuMs, double peakRssMiB) {

    /** The Lambda module's default {@code JAVA_TOOL_OPTIONS} (infra/modules/pg-ephemeral, {@code java_tool_options}). */
    static final String LAMBDA_JVM_FLAGS = "-XX:+TieredCompilation -XX:TieredStopAtLevel=1";

    /** Pins a process to the first CPU (util-linux). */
    static final String TASKSET = "/usr/bin/taskset";

    /** Where the children's stderr goes: a failed start's reason is there. */
    static final Path STDERR = Path.of("target", "bench", "cold-start-stderr.log");

    /** The flags a system property names, separated by spaces, or {@link #LAMBDA_JVM_FLAGS} when it is blank. */
    static List<String> jvmFlags(String property) {
        String flags = System.getProperty(property, "");
        return List.of((flags.isBlank() ? LAMBDA_JVM_FLAGS : flags.strip()).split("\\s+"));
    }

    /** Whether starts can be pinned to one CPU here. */
    static boolean canPinToOneCpu() {
        return Files.isExecutable(Path.of(TASKSET));
    }

    /**
     * Starts {@link ColdStart} with {@code jvmFlags} on {@code classPath}, pinned to the first CPU
     * if {@code oneCpu}, configured for {@code env}'s server and fake Secrets Manager.
     */
    static ColdStartRun of(TestEnvironment env, boolean oneCpu, List<String> jvmFlags, String classPath) throws Exception {
        String run = Events.newRunId();
        String requester = "cold" + Long.toString(System.nanoTime(), 36) + "@acme.example";
        Path event = Files.createTempFile("cold", ".json");
        Files.write(event, env.json().writeValueAsBytes(Events.escalate(run, requester, "readonly", "1h")));
        List<String> command = new ArrayList<>();
        if (oneCpu) {
            command.addAll(List.of(TASKSET, "-c", "0"));
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", classPath, ColdStart.class.getName(), event.toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        ColdStart.configure(pb.environment(), env);
        Files.createDirectories(STDERR.getParent());
        pb.redirectError(ProcessBuilder.Redirect.appendTo(STDERR.toFile()));
        long started = System.nanoTime();
        Process p = pb.start();
        double wall;
        double cpu = Double.NaN;
        double rss = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String response = out.readLine();
            while (response != null && !response.startsWith("OK ") && !response.startsWith("ERROR ")) {
                response = out.readLine(); // a line of an agent's in the flags (a profiler's, say)
            }
            wall = (System.nanoTime() - started) / 1e6;
            if (response == null || !response.startsWith("OK ")) {
                String why = response != null ? response
                        : "the JVM wrote no response" + (p.waitFor(10, TimeUnit.SECONDS) ? " and exited with " + p.exitValue() : "");
                throw new IllegalStateException("cold start failed: " + why + " (its stderr: " + STDERR + ")");
            }
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("CPU_MS ")) {
                    cpu = Double.parseDouble(line.substring(7));
                } else if (line.startsWith("PEAK_RSS_KB ")) {
                    rss = Long.parseLong(line.substring(12)) / 1024.0;
                }
            }
        } finally {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            Files.deleteIfExists(event);
        }
        try (Broker cleaner = new Broker()) {
            cleaner.handle(Events.deescalate(run, requester, "readonly"));
        }
        return new ColdStartRun(wall, cpu, rss);
    }
}
