package io.pgephemeral.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a Flight Recorder file of {@link EscalationProfile} for the measured window only: the
 * broker's threads' CPU samples and allocations by component, and the compilations and collections
 * the window paid for.
 *
 * <p>A sample belongs to the innermost frame of a component the broker chose to use (the PostgreSQL
 * driver, the AWS SDK, Jackson...), so a SHA-256 block computed for a SCRAM verifier counts as
 * SCRAM, not as the JDK; samples with no such frame count as the broker's own code or the JDK.
 */
final class ProfileReport {

    /** Class-name prefixes, in the order they are tried (the most specific first). */
    private static final List<Map.Entry<String, String>> COMPONENTS = List.of(
            Map.entry("io.pgephemeral.crypto.", "SCRAM verifier and password"),
            Map.entry("io.pgephemeral.sym.", "Sym JSON"),
            Map.entry("io.pgephemeral.testing.", "the benchmark's own code"),
            Map.entry("io.pgephemeral.", "the broker's own code"),
            Map.entry("org.postgresql.", "JDBC (PostgreSQL driver)"),
            Map.entry("com.zaxxer.hikari.", "HikariCP"),
            Map.entry("software.amazon.awssdk.http.auth.", "AWS SDK: signing and credentials"),
            Map.entry("software.amazon.awssdk.auth.", "AWS SDK: signing and credentials"),
            Map.entry("software.amazon.awssdk.http.", "AWS SDK: HTTP client"),
            Map.entry("software.amazon.awssdk.protocols.", "AWS SDK: JSON marshalling"),
            Map.entry("software.amazon.awssdk.thirdparty.jackson.", "AWS SDK: JSON marshalling"),
            Map.entry("software.amazon.awssdk.", "AWS SDK: the rest (interceptors, pipeline)"),
            Map.entry("com.fasterxml.jackson.", "Jackson"),
            Map.entry("ch.qos.logback.", "logging"),
            Map.entry("org.slf4j.", "logging"),
            Map.entry("io.micronaut.", "Micronaut"),
            Map.entry("com.amazonaws.", "Lambda runtime types"));

    private ProfileReport() {
    }

    static void print(Path file, Instant from, Instant to, int calls) throws IOException {
        Map<String, Integer> samples = new TreeMap<>();
        Map<String, Long> allocated = new TreeMap<>();
        int compilations = 0;
        Duration compiling = Duration.ZERO;
        int collections = 0;
        Duration pauses = Duration.ZERO;
        int total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getStartTime().isBefore(from) || e.getStartTime().isAfter(to)) {
                continue;
            }
            String type = e.getEventType().getName();
            switch (type) {
                case "jdk.ExecutionSample" -> {
                    if (brokers(e.getThread("sampledThread"))) {
                        samples.merge(component(e.getStackTrace()), 1, Integer::sum);
                        total++;
                    }
                }
                case "jdk.ObjectAllocationSample" -> {
                    if (brokers(e.getThread())) {
                        allocated.merge(component(e.getStackTrace()), e.getLong("weight"), Long::sum);
                    }
                }
                case "jdk.Compilation" -> {
                    compilations++;
                    compiling = compiling.plus(e.getDuration());
                }
                case "jdk.GarbageCollection" -> {
                    collections++;
                    pauses = pauses.plus(e.getDuration("sumOfPauses"));
                }
                default -> {
                }
            }
        }
        System.out.printf("the broker's threads' CPU samples by component (%d samples):%n", total);
        int all = Math.max(total, 1);
        sortedDescending(samples).forEach((component, n) ->
                System.out.printf("  %5.1f%%  %s%n", 100.0 * n / all, component));
        System.out.println("the broker's threads' allocation by component, KiB per pair (sampled):");
        sortedDescending(allocated).forEach((component, bytes) ->
                System.out.printf("  %8.1f  %s%n", bytes / 1024.0 / calls, component));
        System.out.printf("in the window: %d compilations, %.2f ms compiling per pair; %d collections, "
                        + "%.3f ms paused per pair%n", compilations, compiling.toNanos() / 1e6 / calls,
                collections, pauses.toNanos() / 1e6 / calls);
    }

    /**
     * The threads that do the broker's work: the caller's, and the escalation's workers (the
     * verifier, the secret's write), which the sweep's secret removals join.
     */
    private static boolean brokers(jdk.jfr.consumer.RecordedThread thread) {
        String name = thread == null ? null : thread.getJavaName();
        return name != null && (name.equals("main") || name.startsWith("escalation-")
                || name.startsWith("secret-removal-"));
    }

    private static String component(RecordedStackTrace stack) {
        if (stack == null) {
            return "(no stack)";
        }
        for (RecordedFrame frame : stack.getFrames()) { // innermost first
            String type = frame.getMethod().getType().getName();
            for (Map.Entry<String, String> c : COMPONENTS) {
                if (type.startsWith(c.getKey())) {
                    return c.getValue();
                }
            }
        }
        return "JDK only (threads, sockets)";
    }

    private static <V extends Comparable<V>> Map<String, V> sortedDescending(Map<String, V> m) {
        Map<String, V> out = new LinkedHashMap<>();
        m.entrySet().stream().sorted(Map.Entry.<String, V>comparingByValue().reversed())
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
