package io.pgephemeral.bench;

import io.pgephemeral.function.BrokerFunction;
import io.pgephemeral.sym.EventJson;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Events;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One Lambda instance of the per-process benchmark: a JVM of its own that builds one handler the
 * way the runtime does (no-argument constructor, configuration from the environment that
 * {@link ColdStart#configure} sets), warms it, then waits for the parent's start signal so that
 * all instances begin together.
 *
 * <p>Arguments: escalate event file, deescalate event file, requester prefix, warm-up count,
 * timed count. Protocol on stdout/stdin: prints {@code READY} after the warm-up; waits for a
 * {@code GO} line; runs the timed escalations; prints {@code DONE <wall ns> <process cpu ns>
 * <thread cpu ns> <p50 ns> <errors> <JIT ms> <GC ms>}; deescalates what it issued (untimed); prints {@code CLEAN}.
 * The CPU figures cover only the timed loop: the process's (handler thread, GC and JIT: what a
 * Lambda is billed for) and the calling thread's alone.
 */
public final class ProcessCaller {

    private ProcessCaller() {
    }

    public static void main(String[] args) throws Exception {
        byte[] escalate = Files.readAllBytes(Path.of(args[0]));
        byte[] deescalate = Files.readAllBytes(Path.of(args[1]));
        String prefix = args[2];
        int warmups = Integer.parseInt(args[3]);
        int ops = Integer.parseInt(args[4]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        List<String[]> issued = new ArrayList<>();
        try (BrokerFunction function = new BrokerFunction()) {
            for (int i = 0; i < warmups; i++) {
                String[] call = {Events.newRunId(), prefix + "w" + i + "@acme.example"};
                require(function.handleRequest(event(escalate, call, "1h"), null));
                require(function.handleRequest(event(deescalate, call, null), null));
            }
            System.out.println("READY");
            System.out.flush();
            String signal = in.readLine();
            if (!"GO".equals(signal)) {
                throw new IllegalStateException("expected GO from the parent, got " + signal);
            }
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long[] latency = new long[ops];
            int errors = 0;
            long jit0 = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
            long gc0 = gcMillis();
            long cpu0 = os.getProcessCpuTime();
            long thread0 = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                String[] call = {Events.newRunId(), prefix + i + "@acme.example"};
                long t0 = System.nanoTime();
                SymResponse r = function.handleRequest(event(escalate, call, "1h"), null);
                latency[i] = System.nanoTime() - t0;
                errors += r.errors().size();
                issued.add(call);
            }
            long wall = System.nanoTime() - start;
            long thread = threads.getCurrentThreadCpuTime() - thread0;
            long cpu = os.getProcessCpuTime() - cpu0;
            long jit = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit0;
            long gc = gcMillis() - gc0;
            Arrays.sort(latency);
            System.out.println("DONE " + wall + " " + cpu + " " + thread + " " + latency[ops / 2] + " " + errors
                    + " " + jit + " " + gc);
            System.out.flush();
            for (String[] call : issued) {
                function.handleRequest(event(deescalate, call, null), null);
            }
        }
        System.out.println("CLEAN");
        System.out.flush();
    }

    /** A fresh event from the template, parsed per call as the runtime does, with this call's run and requester. */
    private static Map<String, Object> event(byte[] template, String[] call, String duration) {
        Map<String, Object> event = EventJson.read(template);
        Events.set(event, call[0], "run", "srn");
        Events.set(event, call[1], "run", "actors", "request", "username");
        if (duration != null) {
            Events.set(event, duration, "fields", "duration");
        }
        return event;
    }

    /** The collectors' accumulated time (wall time of pauses and concurrent work, as the JVM reports it). */
    private static long gcMillis() {
        long total = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    private static void require(SymResponse r) {
        if (!r.succeeded()) {
            throw new IllegalStateException("warm-up failed: " + r.errors());
        }
    }
}
