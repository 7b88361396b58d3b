package io.pgephemeral.bench;

import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Two builds' cold starts, interleaved, for deciding whether a change pays: the machine's load
 * moves a cold start by more than most changes do, so each pair of starts runs back to back, the
 * order swapped every round. Each build is a {@code pg-ephemeral.jar}, started unpacked as Lambda's
 * zip runtime does, with the Lambda module's default flags. Prints each pair and both builds'
 * medians of wall-clock time and of process CPU:
 * {@code mvn -DskipTests test-compile exec:exec@cold-ab -Dab.a=old.jar -Dab.b=new.jar} (15 rounds;
 * {@code -Dab.runs} sets another number). To compare JVM flags instead, name one jar twice and set
 * {@code -Dab.jvm.a="<flags>"} and {@code -Dab.jvm.b="<flags>"} (each replaces the default flags
 * for its side). {@code -Dab.one.cpu=true} pins each start to one CPU, as a Lambda of less than
 * 1,769 MB has less than one vCPU: a change that only moves work to another thread gains nothing
 * there.
 */
public final class ColdStartAB {

    private ColdStartAB() {
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        TestEnvironment env = TestEnvironment.get();
        int status = 1;
        try {
            Path launcher = Benchmark.launcherJar().toAbsolutePath();
            List<String> classPaths = new ArrayList<>();
            for (int b = 0; b < 2; b++) {
                Path dir = Benchmark.extract(Path.of(args[1 + b]), Path.of("target", "bench", "ab-" + b));
                classPaths.add(dir.toAbsolutePath() + File.pathSeparator + launcher);
            }
            List<List<double[]>> results = List.of(new ArrayList<>(), new ArrayList<>());
            for (int i = 0; i < runs; i++) {
                int first = i % 2;
                for (int k = 0; k < 2; k++) {
                    int b = (first + k) % 2;
                    results.get(b).add(start(env, classPaths.get(b), Benchmark.jvmFlags(b == 0 ? "ab.jvm.a" : "ab.jvm.b")));
                }
                System.out.printf(Locale.ROOT, "round %d: A %.0f ms (cpu %.0f), B %.0f ms (cpu %.0f)%n", i + 1,
                        last(results.get(0))[0], last(results.get(0))[1], last(results.get(1))[0], last(results.get(1))[1]);
            }
            for (int b = 0; b < 2; b++) {
                System.out.printf(Locale.ROOT, "%s %s: median %.0f ms, cpu median %.0f ms over %d starts%n",
                        b == 0 ? "A" : "B", args[1 + b], median(results.get(b), 0), median(results.get(b), 1), runs);
            }
            status = 0;
        } catch (Exception | Error e) { // Error: TestEnvironment.Unavailable, a server that did not set up
            System.err.println(Benchmark.failure("cold-start A/B", e));
        } finally {
            System.exit(status);
        }
    }

    /** One cold start: {wall-clock ms to the response, the process's CPU ms}. */
    private static double[] start(TestEnvironment env, String classPath, List<String> flags) throws Exception {
        String run = Events.newRunId();
        String requester = "ab" + System.nanoTime() % 1_000_000 + "@acme.example";
        Path event = Files.createTempFile("cold", ".json");
        Files.write(event, env.json().writeValueAsBytes(Events.escalate(run, requester, "readonly", "1h")));
        List<String> command = Benchmark.javaCommand(Boolean.getBoolean("ab.one.cpu"));
        command.addAll(flags);
        command.addAll(List.of("-cp", classPath, ColdStart.class.getName(), event.toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        ColdStart.configure(pb.environment(), env);
        pb.redirectError(ProcessBuilder.Redirect.appendTo(Path.of("target", "bench", "ab-stderr.log").toFile()));
        long started = System.nanoTime();
        Process p = pb.start();
        double wall;
        double cpu = Double.NaN;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String response = out.readLine();
            while (response != null && !response.startsWith("OK ") && !response.startsWith("ERROR ")) {
                response = out.readLine(); // a line of an agent's in the flags (a profiler's, say)
            }
            wall = (System.nanoTime() - started) / 1e6;
            if (response == null || !response.startsWith("OK ")) {
                throw new IllegalStateException("cold start failed: " + response + " (its stderr: target/bench/ab-stderr.log)");
            }
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("CPU_MS ")) {
                    cpu = Double.parseDouble(line.substring(7));
                }
            }
        }
        p.waitFor(60, TimeUnit.SECONDS);
        Files.deleteIfExists(event);
        try (Broker cleaner = new Broker()) {
            cleaner.handle(Events.deescalate(run, requester, "readonly"));
        }
        return new double[] {wall, cpu};
    }

    private static double[] last(List<double[]> list) {
        return list.get(list.size() - 1);
    }

    private static double median(List<double[]> list, int field) {
        double[] v = list.stream().mapToDouble(r -> r[field]).sorted().toArray();
        return v[v.length / 2];
    }
}
