package io.pgephemeral.broker;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A few daemon threads for a use case's side work, started on first use. Work runs under the
 * deadline of the invocation that handed it over, and every wait for it is bounded by a deadline.
 */
final class Workers implements AutoCloseable {

    private final String name;
    private final int size;
    private ExecutorService pool;

    Workers(String name, int size) {
        this.name = name;
        this.size = size;
    }

    /** Runs {@code work} on a worker, under {@code deadline}. */
    <T> CompletableFuture<T> supply(Deadline deadline, Supplier<T> work) {
        return CompletableFuture.supplyAsync(() -> deadline.call(work), pool());
    }

    /**
     * Waits for work handed to a worker, no longer than {@code deadline} allows; its failure is
     * thrown as it was thrown there.
     */
    static <T> T join(CompletableFuture<T> work, String what, Deadline deadline) {
        try {
            return work.get(deadline.bound(Duration.ofMinutes(1)).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r
                    : new BrokerException(what + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new Deadline.Exceeded("waiting for " + what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while waiting for " + what);
        }
    }

    private synchronized ExecutorService pool() {
        if (pool == null) {
            AtomicInteger n = new AtomicInteger();
            pool = Executors.newFixedThreadPool(size, r -> {
                Thread t = new Thread(r, name + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    @Override
    public synchronized void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
