package io.pgephemeral.bench;

import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.database.Sql;
import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The broker's benchmark: an embedded PostgreSQL and the fake Secrets Manager on loopback, the
 * real handler. Prints one table and writes the same figures to {@code target/bench/results.json}.
 *
 * <pre>mvn -DskipTests test-compile exec:exec@bench [-Dbench.size=tiny|small|large]</pre>
 *
 * Sizes: tiny (CI: checks it runs), small (default, about a minute), large (the sizes the
 * performance issue names: sweeps of 1,000 and 10,000).
 */
public final class Benchmark {

    /**
     * processCallers, processWarmups, processOps: the per-process mode's caller counts, and each
     * child's untimed warm-up and timed escalations.
     */
    private record Size(int latencyRuns, int throughputOps, int coldStarts, int[] sweeps, int[] ledgerRows,
                        int[] processCallers, int processWarmups, int processOps) {
    }

    private static final Map<String, Size> SIZES = Map.of(
            "tiny", new Size(10, 8, 1, new int[] {20}, new int[] {1_000}, new int[] {1, 2}, 2, 4),
            "small", new Size(200, 64, 5, new int[] {1000}, new int[] {100_000}, new int[] {1, 4, 16}, 100, 40),
            "large", new Size(1000, 320, 7, new int[] {1000, 10000}, new int[] {100_000, 1_000_000},
                    new int[] {1, 4, 16}, 100, 200));

    /**
     * The per-process children's JVM flags. A heap bound like a small Lambda's, so 16 children fit
     * beside everything else; not the cold start's C1-only flags, because this mode measures the
     * steady state and compares it with the in-process mode, which runs with full tiered compilation.
     */
    static final List<String> PROCESS_CALLER_FLAGS = List.of("-Xmx256m");

    /** name -> {value, unit}, in the order measured. */
    private final Map<String, Object[]> results = new LinkedHashMap<>();
    private final TestEnvironment env = TestEnvironment.get();
    private final AtomicInteger users = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        String sizeName = System.getProperty("bench.size", "small");
        Size size = SIZES.get(sizeName);
        if (size == null) {
            System.err.println("bench.size must be tiny, small or large");
            System.exit(2);
        }
        int status = 1;
        try {
            Benchmark bench = new Benchmark();
            bench.run(size);
            bench.report(sizeName);
            status = 0;
        } catch (Exception | Error e) { // Error: TestEnvironment.Unavailable, a server that did not set up
            System.err.println(failure("benchmark", e));
        } finally {
            // The embedded server and the fake's threads would otherwise keep the JVM alive.
            System.exit(status);
        }
    }

    private void run(Size size) throws Exception {
        String sweepsOnly = System.getProperty("bench.sweeps", "");
        if (!sweepsOnly.isBlank()) {
            // -Dbench.sweeps=10000[,...]: only the sweeps, at these sizes (the role DDL's scaling on 16+).
            for (String n : sweepsOnly.split(",")) {
                sweep(Integer.parseInt(n.strip()), true);
                sweep(Integer.parseInt(n.strip()), false);
            }
            return;
        }
        if ("network".equals(System.getProperty("bench.only"))) {
            // -Dbench.only=network: only the round-trip figures.
            overTheNetwork(size);
            return;
        }
        if ("cold-start".equals(System.getProperty("bench.only"))) {
            // -Dbench.only=cold-start: only the cold starts (after `package`, with AppCDS too).
            coldStart(size);
            return;
        }
        floor(size);
        secretsManagerRoundTrip(size);
        warmLatency(size);
        overTheNetwork(size);
        escalationSteps(size);
        record("escalate_p50_target", 1.3 * figure("floor_p50") + figure("secrets_manager_p50"), "ms");
        for (int callers : new int[] {1, 4, 16}) {
            throughput(size, callers);
            floorThroughput(size, callers, true);
            floorThroughput(size, callers, false);
        }
        record("escalate_throughput_16_target", 0.8 * figure("floor_throughput_16"), "escalations/s");
        for (int callers : size.processCallers()) {
            perProcessThroughput(size, callers);
        }
        for (int n : size.sweeps()) {
            sweep(n, true);
            sweep(n, false);
        }
        for (int rows : size.ledgerRows()) {
            LedgerBench.measure(env, rows, this::record);
        }
        coldStart(size);
        record("bench_jvm_peak_rss", peakRssKb() / 1024.0, "MiB");
    }

    // ---- the floor: what PostgreSQL itself costs ----

    /** One transaction of just the role DDL, on one connection: the floor of an escalation. */
    private void floor(Size size) throws Exception {
        Stats stats = new Stats();
        try (Connection c = env.login(TestEnvironment.BOT, env.botPassword())) {
            for (int i = 0; i < size.latencyRuns(); i++) {
                stats.add(floorOnce(c));
            }
        }
        record("floor_p50", stats.percentileMs(50), "ms");
        record("floor_p95", stats.percentileMs(95), "ms");
        record("floor_p99", stats.percentileMs(99), "ms");
    }

    private long floorOnce(Connection c) throws Exception {
        return floorOnce(c, true);
    }

    /**
     * The floor: lock, CREATE ROLE, GRANT, COMMIT. With {@code lockFirst} false the lock
     * comes after CREATE ROLE, where the broker takes it, so the server's PBKDF2 runs outside it.
     */
    private long floorOnce(Connection c, boolean lockFirst) throws Exception {
        PasswordGenerator g = new PasswordGenerator();
        String verifier = ScramVerifier.of(g.generate(32), g.randomBytes(16), ScramVerifier.DEFAULT_ITERATIONS);
        String role = Sql.ident("floor_" + users.incrementAndGet() + "_" + System.nanoTime());
        long start = System.nanoTime();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            if (lockFirst) {
                s.execute("SELECT pg_advisory_xact_lock(7262931)");
            }
            s.execute("CREATE ROLE " + role + " LOGIN PASSWORD " + Sql.literal(verifier) + " VALID UNTIL "
                    + Sql.timestamp(Instant.now().plusSeconds(3600)));
            if (!lockFirst) {
                s.execute("SELECT pg_advisory_xact_lock(7262931)");
            }
            s.execute("GRANT readonly TO " + role);
            c.commit();
        }
        long elapsed = System.nanoTime() - start;
        try (Statement s = c.createStatement()) {
            s.execute("DROP ROLE " + role);
            c.commit();
        }
        c.setAutoCommit(true);
        return elapsed;
    }

    private void floorThroughput(Size size, int callers, boolean lockFirst) throws Exception {
        AtomicInteger left = new AtomicInteger(size.throughputOps());
        long start = System.nanoTime();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            tasks.add(() -> {
                try (Connection c = env.login(TestEnvironment.BOT, env.botPassword())) {
                    while (left.getAndDecrement() > 0) {
                        floorOnce(c, lockFirst);
                    }
                }
                return null;
            });
        }
        runAll(tasks);
        double seconds = (System.nanoTime() - start) / 1e9;
        record((lockFirst ? "floor_throughput_" : "floor_lock_after_create_throughput_") + callers,
                size.throughputOps() / seconds, "creates/s");
    }

    /** One CreateSecret through the SDK to the fake on loopback: the round trip an escalation adds. */
    private void secretsManagerRoundTrip(Size size) {
        Stats stats = new Stats();
        try (Broker broker = new Broker()) {
            io.pgephemeral.broker.CredentialStore store =
                    broker.context().getBean(io.pgephemeral.broker.CredentialStore.class);
            for (int i = 0; i < size.latencyRuns(); i++) {
                String requester = "roundtrip" + users.incrementAndGet() + "@acme.example";
                long start = System.nanoTime();
                String version = java.util.UUID.randomUUID().toString();
                store.store(credential(requester, "roundtrip_" + i, Instant.now().plusSeconds(60)), version);
                long elapsed = System.nanoTime() - start;
                store.remove(store.nameFor(requester, "readonly"), version);
                if (i >= Math.min(5, size.latencyRuns() / 10)) {
                    stats.add(elapsed);
                }
            }
        }
        record("secrets_manager_p50", stats.percentileMs(50), "ms");
    }

    // ---- the broker, warm ----

    private void warmLatency(Size size) {
        Stats up = new Stats();
        Stats down = new Stats();
        try (Broker broker = new Broker()) {
            for (int i = 0; i < size.latencyRuns(); i++) {
                String run = Events.newRunId();
                String requester = "bench" + users.incrementAndGet() + "@acme.example";
                long t0 = System.nanoTime();
                SymResponse r = broker.handle(Events.escalate(run, requester, "readonly", "1h"));
                long t1 = System.nanoTime();
                SymResponse d = broker.handle(Events.deescalate(run, requester, "readonly"));
                long t2 = System.nanoTime();
                require(r);
                require(d);
                if (i >= Math.min(5, size.latencyRuns() / 10)) { // the first few warm the JIT
                    up.add(t1 - t0);
                    down.add(t2 - t1);
                }
            }
        }
        record("escalate_p50", up.percentileMs(50), "ms");
        record("escalate_p95", up.percentileMs(95), "ms");
        record("escalate_p99", up.percentileMs(99), "ms");
        record("deescalate_p50", down.percentileMs(50), "ms");
        record("deescalate_p95", down.percentileMs(95), "ms");
        record("deescalate_p99", down.percentileMs(99), "ms");
    }

    /**
     * The broker with PostgreSQL a network away: its connections go through a {@link DelayProxy}
     * that holds each chunk {@link #NETWORK_ONE_WAY_MICROS} each way (a 1 ms round trip, about
     * what a Lambda sees to a database in another availability zone), which also counts the round
     * trips each escalation and deescalation makes. The floor is measured through it as well.
     */
    private void overTheNetwork(Size size) throws Exception {
        try (io.pgephemeral.testing.DelayProxy proxy = io.pgephemeral.testing.DelayProxy.forJdbcUrl(env.jdbcUrl(),
                NETWORK_ONE_WAY_MICROS)) {
            String relayed = proxy.jdbcUrl();
            Stats floor = new Stats();
            try (Connection c = java.sql.DriverManager.getConnection(relayed, TestEnvironment.BOT, env.botPassword())) {
                for (int i = 0; i < size.latencyRuns(); i++) {
                    floor.add(floorOnce(c)); // four round trips: lock, CREATE ROLE, GRANT, COMMIT
                }
            }
            record("floor_p50_at_rtt_1ms", floor.percentileMs(50), "ms");
            Stats up = new Stats();
            Stats down = new Stats();
            long upTrips = 0;
            long downTrips = 0;
            try (Broker broker = new Broker(Map.of("broker.db-url", relayed))) {
                int warm = Math.min(5, size.latencyRuns() / 10);
                for (int i = 0; i < size.latencyRuns(); i++) {
                    String run = Events.newRunId();
                    String requester = "network" + users.incrementAndGet() + "@acme.example";
                    long trips0 = proxy.roundTrips();
                    long t0 = System.nanoTime();
                    SymResponse r = broker.handle(Events.escalate(run, requester, "readonly", "1h"));
                    long t1 = System.nanoTime();
                    long trips1 = proxy.roundTrips();
                    SymResponse d = broker.handle(Events.deescalate(run, requester, "readonly"));
                    long t2 = System.nanoTime();
                    require(r);
                    require(d);
                    if (i >= warm) {
                        up.add(t1 - t0);
                        down.add(t2 - t1);
                        upTrips += trips1 - trips0;
                        downTrips += proxy.roundTrips() - trips1;
                    }
                }
                int counted = size.latencyRuns() - warm;
                record("db_round_trips_per_escalation", (double) upTrips / counted, "round trips");
                record("db_round_trips_per_deescalation", (double) downTrips / counted, "round trips");
            }
            record("escalate_p50_at_rtt_1ms", up.percentileMs(50), "ms");
            record("deescalate_p50_at_rtt_1ms", down.percentileMs(50), "ms");
        }
    }

    /** Half the round trip {@link #overTheNetwork} adds to every exchange with PostgreSQL. */
    private static final long NETWORK_ONE_WAY_MICROS = 500;

    /**
     * The profile of a warm escalation: the same steps Escalation takes, through the same beans,
     * each timed on its own, so the gap between the floor and an escalation can be read off.
     */
    private void escalationSteps(Size size) {
        String[] steps = {"ledger_read", "password_and_verifier", "ledger_requested", "role_create",
                "secret_store", "ledger_issued"};
        Map<String, Stats> stats = new LinkedHashMap<>();
        for (String step : steps) {
            stats.put(step, new Stats());
        }
        try (Broker broker = new Broker()) {
            var context = broker.context();
            io.pgephemeral.ledger.Ledger ledger = context.getBean(io.pgephemeral.ledger.Ledger.class);
            io.pgephemeral.broker.DatabaseRoles roles = context.getBean(io.pgephemeral.broker.DatabaseRoles.class);
            io.pgephemeral.broker.CredentialStore store = context.getBean(io.pgephemeral.broker.CredentialStore.class);
            PasswordGenerator passwords = context.getBean(PasswordGenerator.class);
            io.pgephemeral.broker.Target target =
                    context.getBean(io.pgephemeral.broker.TargetAllowList.class).require("readonly");
            io.pgephemeral.broker.Endpoint endpoint = context.getBean(io.pgephemeral.broker.Endpoint.class);
            for (int i = 0; i < size.latencyRuns(); i++) {
                String run = Events.newRunId();
                String requester = "steps" + users.incrementAndGet() + "@acme.example";
                String role = "steps_" + i + "_" + System.nanoTime();
                long[] t = new long[steps.length + 1];
                t[0] = System.nanoTime();
                ledger.latestAttemptOfRun(run);
                t[1] = System.nanoTime();
                io.pgephemeral.crypto.Password password = new io.pgephemeral.crypto.Password(passwords.generate(32));
                String verifier = ScramVerifier.of(password.reveal(), passwords.randomBytes(16),
                        ScramVerifier.DEFAULT_ITERATIONS);
                t[2] = System.nanoTime();
                Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
                io.pgephemeral.ledger.LedgerEntry requested = ledger.append(new io.pgephemeral.ledger.LedgerEntry(null,
                        java.util.UUID.randomUUID(), run, 1, "requested", now, requester, "ops@acme.example", null,
                        "readonly", role, store.nameFor(requester, "readonly"), now.plusSeconds(3600), null, null));
                t[3] = System.nanoTime();
                roles.create(new io.pgephemeral.broker.NewLogin(role, verifier, now.plusSeconds(3600), target, 2));
                t[4] = System.nanoTime();
                store.store(new io.pgephemeral.broker.IssuedCredential(requester, "readonly", role, password, endpoint,
                        now.plusSeconds(3600)), java.util.UUID.randomUUID().toString());
                t[5] = System.nanoTime();
                ledger.appendIfOpen(requested.next("issued", Instant.now(), null, null));
                t[6] = System.nanoTime();
                if (i >= Math.min(5, size.latencyRuns() / 10)) {
                    for (int s = 0; s < steps.length; s++) {
                        stats.get(steps[s]).add(t[s + 1] - t[s]);
                    }
                }
                broker.handle(Events.deescalate(run, requester, "readonly"));
            }
        }
        stats.forEach((step, st) -> record("escalate_step_" + step + "_p50", st.percentileMs(50), "ms"));
    }

    /** Concurrent callers, each a handler of its own (one per Lambda instance). */
    private void throughput(Size size, int callers) throws Exception {
        List<Broker> brokers = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            brokers.add(new Broker());
        }
        AtomicInteger left = new AtomicInteger(size.throughputOps());
        AtomicLong errors = new AtomicLong();
        Stats latency = new Stats();
        List<Callable<Void>> tasks = new ArrayList<>();
        List<String[]> issued = java.util.Collections.synchronizedList(new ArrayList<>());
        for (Broker broker : brokers) {
            tasks.add(() -> {
                while (left.getAndDecrement() > 0) {
                    String run = Events.newRunId();
                    String requester = "load" + users.incrementAndGet() + "@acme.example";
                    long t0 = System.nanoTime();
                    SymResponse r = broker.handle(Events.escalate(run, requester, "readonly", "1h"));
                    latency.add(System.nanoTime() - t0);
                    errors.addAndGet(r.errors().size());
                    issued.add(new String[] {run, requester});
                }
                return null;
            });
        }
        long[] machineBefore = machineCpuTicks();
        long jvmBefore = jvmCpuNanos();
        long start = System.nanoTime();
        runAll(tasks);
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] machineAfter = machineCpuTicks();
        record("escalate_throughput_" + callers, size.throughputOps() / seconds, "escalations/s");
        // Where the time goes under load: how busy the machine's cores were, and how much CPU this
        // JVM (the handlers and the fake Secrets Manager; PostgreSQL is other processes) spent per
        // escalation.
        record("machine_cpu_busy_at_" + callers, 100.0 * (machineAfter[0] - machineBefore[0])
                / Math.max(1, machineAfter[1] - machineBefore[1]), "%");
        record("jvm_cpu_per_escalation_at_" + callers, (jvmCpuNanos() - jvmBefore) / 1e6 / size.throughputOps(), "ms");
        record("escalate_p50_at_" + callers, latency.percentileMs(50), "ms");
        record("escalate_errors_at_" + callers, errors.get(), "errors");
        try (Broker cleaner = brokers.get(0)) {
            for (String[] i : issued) {
                cleaner.handle(Events.deescalate(i[0], i[1], "readonly"));
            }
        }
        brokers.subList(1, brokers.size()).forEach(Broker::close);
    }

    /**
     * The deployment's shape: each caller a JVM of its own (one Lambda instance each), building one
     * handler from the environment, warmed one after the other, then all released together through their stdin. Each
     * child times its own loop of escalations and its own process CPU over that loop only, so
     * neither a shared heap and JIT nor the fake Secrets Manager (in this JVM) count against it.
     */
    private void perProcessThroughput(Size size, int callers) throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "bench"));
        Path up = dir.resolve("process-escalate.json");
        Path down = dir.resolve("process-deescalate.json");
        Files.write(up, env.json().writeValueAsBytes(Events.escalate(Events.newRunId(), "x@acme.example", "readonly", "1h")));
        Files.write(down, env.json().writeValueAsBytes(Events.deescalate(Events.newRunId(), "x@acme.example", "readonly")));
        List<Process> children = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<BufferedReader> outs = new ArrayList<>();
        boolean finished = false;
        try {
            for (int i = 0; i < callers; i++) {
                List<String> command = new ArrayList<>(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
                command.addAll(PROCESS_CALLER_FLAGS);
                command.addAll(List.of("-cp", System.getProperty("java.class.path"), ProcessCaller.class.getName(),
                        up.toString(), down.toString(), "proc" + users.incrementAndGet() + "_" + i + "_",
                        String.valueOf(size.processWarmups()), String.valueOf(size.processOps())));
                ProcessBuilder pb = new ProcessBuilder(command);
                ColdStart.configure(pb.environment(), env);
                pb.redirectError(dir.resolve("process-caller-" + i + ".log").toFile());
                Process p = pb.start();
                children.add(p);
                outs.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
                if (i == 0) {
                    // A hung child must not hang the benchmark: past this bound its output ends and expect() says so.
                    java.util.concurrent.CompletableFuture.runAsync(() -> children.forEach(Process::destroyForcibly),
                            java.util.concurrent.CompletableFuture.delayedExecutor(10, TimeUnit.MINUTES));
                }
                // One warm-up at a time: sixteen JVMs starting at once on two cores took longer than a
                // connection's bound to open their first connections. Each Lambda instance warms on
                // its own CPU; only the timed loops below run together.
                expect(outs.get(i), "READY", i);
            }
            long[] machineBefore = machineCpuTicks();
            for (Process p : children) {
                p.getOutputStream().write("GO\n".getBytes(StandardCharsets.UTF_8));
                p.getOutputStream().flush();
            }
            long maxWall = 0;
            long cpu = 0;
            long threadCpu = 0;
            long errors = 0;
            long jit = 0;
            long gc = 0;
            List<Double> medians = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                String[] f = expect(outs.get(i), "DONE ", i).split(" ");
                maxWall = Math.max(maxWall, Long.parseLong(f[1]));
                cpu += Long.parseLong(f[2]);
                threadCpu += Long.parseLong(f[3]);
                medians.add(Long.parseLong(f[4]) / 1e6);
                errors += Long.parseLong(f[5]);
                jit += Long.parseLong(f[6]);
                gc += Long.parseLong(f[7]);
            }
            long[] machineAfter = machineCpuTicks();
            for (int i = 0; i < callers; i++) {
                expect(outs.get(i), "CLEAN", i);
            }
            int ops = callers * size.processOps();
            medians.sort(Double::compare);
            String at = "_at_" + callers;
            record("process_escalate_throughput" + at, ops / (maxWall / 1e9), "escalations/s");
            record("process_machine_cpu_busy" + at, 100.0 * (machineAfter[0] - machineBefore[0])
                    / Math.max(1, machineAfter[1] - machineBefore[1]), "%");
            // Per handler: the whole child process (handler thread, GC, JIT), then its calling thread alone.
            record("process_cpu_per_escalation" + at, cpu / 1e6 / ops, "ms");
            record("process_thread_cpu_per_escalation" + at, threadCpu / 1e6 / ops, "ms");
            // Where the rest of the process's CPU goes: the JIT compilers' and the collectors' time
            // (elapsed, as the JVM accounts it; compiler threads run mostly alongside the handler).
            record("process_jit_per_escalation" + at, (double) jit / ops, "ms");
            record("process_gc_per_escalation" + at, (double) gc / ops, "ms");
            record("process_escalate_p50" + at, medians.get(medians.size() / 2), "ms");
            record("process_escalate_errors" + at, errors, "errors");
            finished = true;
        } finally {
            for (Process p : children) {
                // After a failure the others wait for a GO that never comes: end them now.
                if (!finished || !p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** The child's next line, which must start with {@code prefix}; otherwise where to look. */
    private static String expect(BufferedReader out, String prefix, int child) throws Exception {
        String line = out.readLine();
        if (line == null || !line.startsWith(prefix)) {
            throw new IllegalStateException("per-process caller " + child + " sent " + line + " instead of " + prefix.trim()
                    + ": see target/bench/process-caller-" + child + ".log");
        }
        return line;
    }

    // ---- the sweep ----

    /**
     * n credentials that expired a minute ago, made directly (roles as the bot, a secret each unless
     * {@code withSecrets} is false, the ledger's rows), then swept: roles dropped, secrets deleted
     * (or found gone: one DescribeSecret each), closes recorded.
     */
    private void sweep(int n, boolean withSecrets) throws Exception {
        String prefix = "swept" + users.incrementAndGet() + "_";
        // As the broker makes them: on 16+ each by one of the creator roles the tests configure
        // (-Dbench.creators=false: all by the bot, as without BROKER_CREATOR_ROLES; =N: by N creators).
        List<String> creators = env.serverMajor() >= 16 ? TestEnvironment.configuredCreators() : List.of();
        try (Connection bot = env.login(TestEnvironment.BOT, env.botPassword()); Statement s = bot.createStatement()) {
            bot.setAutoCommit(false);
            s.execute("SET LOCAL synchronous_commit = off");
            for (int i = 0; i < n; i++) {
                String role = Sql.ident(prefix + i);
                if (!creators.isEmpty()) {
                    s.addBatch("SET LOCAL ROLE " + Sql.ident(creators.get(i % creators.size())));
                }
                s.addBatch("CREATE ROLE " + role + " LOGIN VALID UNTIL " + Sql.timestamp(Instant.now().minusSeconds(60)));
                s.addBatch("GRANT ephemeral_managed TO " + role + (env.serverMajor() >= 16 ? " WITH INHERIT FALSE, SET FALSE" : ""));
            }
            s.executeBatch();
            bot.commit();
        }
        // Each with its own secret, as real ones have, recorded through the ledger itself, so the
        // rows join the hash chain like real ones.
        try (Broker recorder = new Broker()) {
            io.pgephemeral.ledger.Ledger ledger = recorder.context().getBean(io.pgephemeral.ledger.Ledger.class);
            io.pgephemeral.broker.CredentialStore store =
                    recorder.context().getBean(io.pgephemeral.broker.CredentialStore.class);
            Instant at = Instant.now().minusSeconds(120);
            for (int i = 0; i < n; i++) {
                String requester = prefix + i + "@acme.example";
                if (withSecrets) {
                    store.store(credential(requester, prefix + i, at.plusSeconds(60)),
                            java.util.UUID.randomUUID().toString());
                }
                io.pgephemeral.ledger.LedgerEntry requested = ledger.append(new io.pgephemeral.ledger.LedgerEntry(null,
                        java.util.UUID.randomUUID(), "bench:" + prefix + i, 1, "requested", at, requester,
                        null, null, "readonly", prefix + i, store.nameFor(requester, "readonly"),
                        at.plusSeconds(60), null, null));
                ledger.append(requested.next("issued", at, null, null));
            }
        }
        Map<String, Object> sweeping = new java.util.HashMap<>(Map.of("broker.sweep-batch-size",
                String.valueOf(Math.max(n, 1)), "broker.sweep-time-budget", "10m"));
        if (creators.isEmpty()) {
            sweeping.put("broker.creator-roles", "");
        }
        try (Broker sweeper = new Broker(sweeping)) {
            long start = System.nanoTime();
            int expired = 0;
            while (expired < n) {
                SymResponse r = sweeper.sweep();
                require(r);
                int now = ((Number) r.body().get("expired")).intValue();
                if (now == 0) {
                    break;
                }
                expired += now;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            String name = "sweep_" + n + (withSecrets ? "" : "_secrets_already_gone");
            record(name + "_rate", expired / seconds, "credentials/s");
            record(name + "_time", seconds, "s");
        }
    }

    // ---- cold start ----

    /**
     * A new JVM per run, timed from spawn to the first response line: first on the class path as
     * built, then, when {@code target/pg-ephemeral.jar} exists ({@code mvn package}), from the jar
     * alone, and from the jar with an AppCDS archive that one training run of the same escalation
     * wrote.
     */
    private void coldStart(Size size) throws Exception {
        coldStarts("cold_start", size.coldStarts(), List.of(), System.getProperty("java.class.path"));
        Path jar = Path.of("target", "pg-ephemeral.jar");
        if (!Files.exists(jar)) {
            System.out.println("no target/pg-ephemeral.jar: run `mvn package` first to measure the AppCDS start");
            return;
        }
        Path launcher = launcherJar();
        Path archive = Path.of("target", "bench", "pg-ephemeral.jsa");
        Files.deleteIfExists(archive);
        String classPath = jar.toAbsolutePath() + java.io.File.pathSeparator + launcher.toAbsolutePath();
        // From the jar: without the test class path's libraries and their beans.
        coldStarts("cold_start_jar", size.coldStarts(), List.of(), classPath);
        // As Lambda's zip runtime runs it: the jar's entries extracted, the directory on the class path.
        Path extracted = extract(jar, Path.of("target", "bench", "task"));
        String unpacked = extracted.toAbsolutePath() + java.io.File.pathSeparator + launcher.toAbsolutePath();
        coldStarts("cold_start_extracted", size.coldStarts(), List.of(), unpacked);
        // The same on one CPU: a Lambda of less than 1,769 MB has less than one vCPU, so work the
        // start moves to another thread is not done sooner there, only elsewhere.
        if (ColdStartRun.canPinToOneCpu()) {
            coldStarts("cold_start_extracted_one_cpu", size.coldStarts(), List.of(), unpacked, true);
        } else {
            System.out.println("no " + ColdStartRun.TASKSET + ": the one-CPU cold start is not measured");
        }
        coldStarts(null, 1, List.of("-XX:ArchiveClassesAtExit=" + archive), classPath);
        if (Files.exists(archive)) {
            coldStarts("cold_start_appcds", size.coldStarts(), List.of("-XX:SharedArchiveFile=" + archive), classPath);
        }
    }

    /** The jar's entries under {@code dir} (emptied first), as Lambda unpacks a deployment package into /var/task. */
    static Path extract(Path jar, Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (java.util.stream.Stream<Path> old = Files.walk(dir)) {
                for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
        try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(Files.newInputStream(jar))) {
            for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
                Path target = dir.resolve(e.getName()).normalize();
                if (!target.startsWith(dir)) {
                    throw new IllegalStateException("entry outside the directory: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(in, target);
                }
            }
        }
        return dir;
    }

    /** The cold-start launcher alone in a jar: CDS archives classes from jars, not directories. */
    static Path launcherJar() throws Exception {
        Path jar = Path.of("target", "bench", "coldstart.jar");
        Files.createDirectories(jar.getParent());
        String entry = ColdStart.class.getName().replace('.', '/') + ".class";
        try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
             java.io.InputStream in = ColdStart.class.getClassLoader().getResourceAsStream(entry)) {
            out.putNextEntry(new java.util.jar.JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }

    /** {@code runs} cold starts; records their median and peak RSS under {@code name} unless null (training). */
    /**
     * A measuring tool's failure as one line for stderr: the exception and each cause, without a
     * stack trace.
     */
    static String failure(String tool, Throwable e) {
        StringBuilder line = new StringBuilder(tool).append(" failed: ").append(e);
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            line.append("; caused by: ").append(cause);
        }
        return line.toString();
    }

    private void coldStarts(String name, int runs, List<String> jvmFlags, String classPath) throws Exception {
        coldStarts(name, runs, jvmFlags, classPath, false);
    }

    /** {@code runs} cold starts; records their medians and peak RSS under {@code name} unless null (training). */
    private void coldStarts(String name, int runs, List<String> jvmFlags, String classPath, boolean oneCpu)
            throws Exception {
        List<String> flags = new ArrayList<>(ColdStartRun.jvmFlags("bench.cold.jvm"));
        flags.addAll(jvmFlags);
        List<ColdStartRun> starts = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            starts.add(ColdStartRun.of(env, oneCpu, flags, classPath));
        }
        if (name == null) {
            return;
        }
        record(name + "_median", median(starts, ColdStartRun::wallMs), "ms");
        if (starts.stream().noneMatch(s -> Double.isNaN(s.cpuMs()))) {
            record(name + "_cpu_median", median(starts, ColdStartRun::cpuMs), "ms");
        }
        record(name + "_runs", starts.size(), "runs");
        record(name + "_peak_rss", starts.stream().mapToDouble(ColdStartRun::peakRssMiB).max().orElse(0), "MiB");
    }

    static double median(List<ColdStartRun> starts, java.util.function.ToDoubleFunction<ColdStartRun> figure) {
        double[] values = starts.stream().mapToDouble(figure).sorted().toArray();
        return values[values.length / 2];
    }

    // ---- plumbing ----

    private static void require(SymResponse r) {
        if (!r.succeeded()) {
            throw new IllegalStateException("benchmark step failed: " + r.errors());
        }
    }

    private static void runAll(List<Callable<Void>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            for (Future<Void> f : pool.invokeAll(tasks)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A credential to store, with a placeholder password: the benchmark times the store, not the secret. */
    private static io.pgephemeral.broker.IssuedCredential credential(String requester, String role, Instant expires) {
        return new io.pgephemeral.broker.IssuedCredential(requester, "readonly", role,
                new io.pgephemeral.crypto.Password("x".repeat(32)),
                new io.pgephemeral.broker.Endpoint("127.0.0.1", 5432, "postgres"), expires);
    }

    private double figure(String name) {
        return (Double) results.get(name)[0];
    }

    private void record(String name, double value, String unit) {
        results.put(name, new Object[] {value, unit});
    }

    /** {busy, total} jiffies of all cores, from /proc/stat. */
    private static long[] machineCpuTicks() throws Exception {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length; i++) {
            total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        return new long[] {total - idle, total};
    }

    private static long jvmCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long peakRssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    private void report(String size) throws Exception {
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "%-40s %12s  %s%n", "figure", "value", "unit"));
        StringBuilder json = new StringBuilder("{\n  \"size\": \"" + size + "\",\n  \"postgres\": "
                + env.serverMajor() + ",\n  \"cores\": " + Runtime.getRuntime().availableProcessors()
                + ",\n  \"figures\": {\n");
        int i = 0;
        for (Map.Entry<String, Object[]> r : results.entrySet()) {
            double v = (Double) r.getValue()[0];
            table.append(String.format(Locale.ROOT, "%-40s %12.1f  %s%n", r.getKey(), v, r.getValue()[1]));
            json.append(String.format(Locale.ROOT, "    \"%s\": {\"value\": %.3f, \"unit\": \"%s\"}%s%n", r.getKey(), v,
                    r.getValue()[1], ++i < results.size() ? "," : ""));
        }
        json.append("  }\n}\n");
        System.out.print(table);
        Path out = Path.of("target", "bench", "results.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, json.toString());
        System.out.println("wrote " + out);
    }
}
