package io.pgephemeral.bench;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Events;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * A Flight Recorder profile of warm escalations, for reading where the broker's CPU goes (the
 * benchmark says how much; this says on what). One handler, as one Lambda instance runs it: a
 * warm-up, then escalate and deescalate pairs, all under the JDK's "profile" settings, written to
 * {@code target/bench/escalate.jfr}; {@code escalate.jfr.window} holds the measured pairs' start and
 * end, so the warm-up's events can be left out.
 *
 * <pre>mvn -DskipTests test-compile exec:exec@profile [-Dprofile.warmups=N -Dprofile.calls=N]</pre>
 *
 * It prints the measured pairs' CPU by thread, then {@link ProfileReport}'s reading of the file;
 * JDK Mission Control or {@code jfr print} read it further.
 */
public final class EscalationProfile {

    private EscalationProfile() {
    }

    public static void main(String[] args) throws Exception {
        int warmups = Integer.getInteger("profile.warmups", 3000);
        int calls = Integer.getInteger("profile.calls", 3000);
        Path out = Path.of("target", "bench", "escalate.jfr");
        Files.createDirectories(out.getParent());
        int status = 1;
        try (Broker broker = new Broker();
             Recording recording = new Recording(Configuration.getConfiguration("profile"))) {
            recording.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(1));
            // Every compilation, not only the long ones: a warm JVM that still compiles is CPU the
            // broker pays for on every call.
            recording.enable("jdk.Compilation").withThreshold(java.time.Duration.ZERO);
            // Started before the warm-up: starting a recording sends a warm JVM back to the compilers
            // for seconds, which a recording started after it would count as the broker's.
            recording.start();
            pairs(broker, "warm", warmups);
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            Instant from = Instant.now();
            long process = os.getProcessCpuTime();
            Map<String, Long> before = cpuByThreadGroup();
            long allocated = threads.getCurrentThreadAllocatedBytes();
            long wall = System.nanoTime();
            pairs(broker, "profiled", calls);
            double perCall = 1e6 * calls;
            long processCpu = os.getProcessCpuTime() - process;
            Map<String, Long> after = cpuByThreadGroup();
            Instant to = Instant.now();
            System.out.printf("%d escalate+deescalate pairs, per pair: %.2f ms wall, %.2f ms process CPU, "
                            + "%.0f KiB allocated by the calling thread%n", calls,
                    (System.nanoTime() - wall) / perCall, processCpu / perCall,
                    (threads.getCurrentThreadAllocatedBytes() - allocated) / 1024.0 / calls);
            long javaThreads = 0;
            for (String group : after.keySet()) {
                long used = after.get(group) - before.getOrDefault(group, 0L);
                javaThreads += used;
                System.out.printf("  CPU %-40s %6.2f ms%n", group, used / perCall);
            }
            System.out.printf("  CPU %-40s %6.2f ms%n", "JIT compilers, GC and VM threads (the rest)",
                    (processCpu - javaThreads) / perCall);
            recording.stop();
            recording.dump(out);
            // The measured window, for reading only its events: the file also holds the warm-up.
            Files.writeString(Path.of(out + ".window"), from + " " + to + "\n");
            System.out.println("profile written to " + out);
            ProfileReport.print(out, from, to, calls);
            status = 0;
        } finally {
            System.exit(status); // the embedded server's and the fake's threads would keep the JVM alive
        }
    }

    /**
     * CPU so far of the JVM's own threads, grouped: the calling thread, the fake Secrets Manager
     * (test code that a Lambda would not run), and everything else (pools' housekeeping, the SDK's
     * schedulers). Threads that ended are missing from both readings, so they count for nothing.
     */
    private static Map<String, Long> cpuByThreadGroup() {
        var threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> cpu = new java.util.TreeMap<>();
        long self = Thread.currentThread().getId();
        for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long used = threads.getThreadCpuTime(info.getThreadId());
            if (used < 0) {
                continue;
            }
            String name = info.getThreadName();
            String group = info.getThreadId() == self ? "the calling thread (the broker)"
                    : name.startsWith("escalation-") ? "the escalation's workers (verifier, secret's write)"
                    : name.startsWith("fake-") || name.startsWith("HTTP-Dispatcher") || name.startsWith("idle-timeout")
                    ? "the fake Secrets Manager (test code)" : "other Java threads";
            cpu.merge(group, used, Long::sum);
        }
        return cpu;
    }

    private static void pairs(Broker broker, String who, int n) {
        for (int i = 0; i < n; i++) {
            String run = Events.newRunId();
            String requester = who + i + "@acme.example";
            require(broker.handle(Events.escalate(run, requester, "readonly", "1h")));
            require(broker.handle(Events.deescalate(run, requester, "readonly")));
        }
    }

    private static void require(SymResponse r) {
        if (!r.errors().isEmpty()) {
            throw new IllegalStateException("the broker answered with errors: " + r.errors());
        }
    }
}
