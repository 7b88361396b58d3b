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
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cold-start part of the benchmark, with the classes each start loads: {@code runs} new JVMs
 * (the benchmark's {@link ColdStart}) answering one escalate each, timed from process start to the
 * response, each with {@code -Xlog:class+load}, and the classes counted in all and by package
 * prefix. For decisions about what belongs on the invocation path (docs/design.md, "Ledger data
 * access"): {@code java -cp <test class path> io.pgephemeral.bench.ColdStartClasses 5}.
 */
public final class ColdStartClasses {

    private static final String[] PREFIXES = {"io.micronaut.data.", "io.micronaut.", "com.zaxxer.", "org.postgresql.",
            "software.amazon.", "io.pgephemeral."};

    private ColdStartClasses() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        TestEnvironment env = TestEnvironment.get();
        int status = 1;
        try {
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                String run = Events.newRunId();
                String requester = "classes" + i + "x" + System.nanoTime() % 100000 + "@acme.example";
                Path event = Files.createTempFile("cold", ".json");
                Path classLog = Files.createTempFile("classes", ".log");
                Files.write(event, env.json().writeValueAsBytes(Events.escalate(run, requester, "readonly", "1h")));
                ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1",
                        "-Xlog:class+load=info:file=" + classLog,
                        "-cp", System.getProperty("java.class.path"), ColdStart.class.getName(), event.toString());
                ColdStart.configure(pb.environment(), env);
                pb.redirectError(ProcessBuilder.Redirect.DISCARD);
                long start = System.nanoTime();
                Process p = pb.start();
                String first;
                try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    first = out.readLine();
                    times.add((System.nanoTime() - start) / 1e6);
                    while (out.readLine() != null) {
                        // drain
                    }
                }
                p.waitFor(60, TimeUnit.SECONDS);
                if (first == null || !first.startsWith("OK ")) {
                    throw new IllegalStateException("cold start failed: " + first);
                }
                List<String> loaded = Files.readAllLines(classLog).stream().filter(l -> l.contains(" source: ")).toList();
                StringBuilder line = new StringBuilder(String.format("run %d: %.0f ms, %d classes", i + 1,
                        times.get(i), loaded.size()));
                for (String prefix : PREFIXES) {
                    long n = loaded.stream().filter(l -> l.contains("] " + prefix)).count();
                    line.append(", ").append(prefix).append(' ').append(n);
                }
                System.out.println(line);
                Files.deleteIfExists(event);
                Files.deleteIfExists(classLog);
                try (Broker cleaner = new Broker()) {
                    cleaner.handle(Events.deescalate(run, requester, "readonly"));
                }
            }
            times.sort(Double::compare);
            System.out.printf("median %.0f ms over %d runs%n", times.get(times.size() / 2), runs);
            status = 0;
        } finally {
            System.exit(status);
        }
    }
}
