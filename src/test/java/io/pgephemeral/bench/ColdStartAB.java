package io.pgephemeral.bench;

import io.pgephemeral.testing.TestEnvironment;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
            List<List<ColdStartRun>> results = List.of(new ArrayList<>(), new ArrayList<>());
            for (int i = 0; i < runs; i++) {
                for (int k = 0; k < 2; k++) {
                    int side = (i + k) % 2; // A first in odd rounds, B first in even ones
                    results.get(side).add(ColdStartRun.of(env, Boolean.getBoolean("ab.one.cpu"),
                            ColdStartRun.jvmFlags(side == 0 ? "ab.jvm.a" : "ab.jvm.b"), classPaths.get(side)));
                }
                ColdStartRun a = results.get(0).get(i);
                ColdStartRun b = results.get(1).get(i);
                System.out.printf(Locale.ROOT, "round %d: A %.0f ms (cpu %.0f), B %.0f ms (cpu %.0f)%n", i + 1,
                        a.wallMs(), a.cpuMs(), b.wallMs(), b.cpuMs());
            }
            for (int b = 0; b < 2; b++) {
                System.out.printf(Locale.ROOT, "%s %s: median %.0f ms, cpu median %.0f ms over %d starts%n",
                        b == 0 ? "A" : "B", args[1 + b], Benchmark.median(results.get(b), ColdStartRun::wallMs),
                        Benchmark.median(results.get(b), ColdStartRun::cpuMs), runs);
            }
            status = 0;
        } catch (Exception | Error e) { // Error: TestEnvironment.Unavailable, a server that did not set up
            System.err.println(Benchmark.failure("cold-start A/B", e));
        } finally {
            System.exit(status);
        }
    }
}
