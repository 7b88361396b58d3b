package io.pgephemeral.broker;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * How long the current invocation may still work, like the context with a deadline that every call
 * of Vault's database plugins carries. Lambda stops a function mid-step when its time is up; the
 * broker stops itself first, so that a stalled database or Secrets Manager turns into one clear
 * error and an undone escalation instead of a half-finished one.
 *
 * <p>Two ends: the work must be done by {@link #remaining()}; what undoes a failed step (dropping a
 * role, restoring a secret, recording the failure) runs {@link #forCleanup()}, with the reserve
 * kept for it. Every wait below the use cases (a statement, a lock, a socket read, an SDK call, a
 * thread join) is bounded by the deadline of the thread that runs it ({@link #current()}); work
 * handed to another thread carries it along ({@link #call}).
 */
public final class Deadline {

    private static final ThreadLocal<Deadline> CURRENT = new ThreadLocal<>();
    /** For code that runs outside any invocation (a test calling a port): generous, still finite. */
    private static final Duration OUTSIDE_AN_INVOCATION = Duration.ofMinutes(5);

    private final long workEnd;
    private final long hardEnd;

    private Deadline(long workEnd, long hardEnd) {
        this.workEnd = workEnd;
        this.hardEnd = hardEnd;
    }

    /**
     * A deadline for an invocation that has {@code budget} in all, of which {@code reserve} (at
     * most a third of the budget) is kept for undoing what fails.
     */
    public static Deadline of(Duration budget, Duration reserve) {
        long now = System.nanoTime();
        long total = Math.max(0, budget.toNanos());
        long kept = Math.min(Math.max(0, reserve.toNanos()), total / 3);
        return new Deadline(now + total - kept, now + total);
    }

    /** The deadline of the invocation this thread works for. */
    public static Deadline current() {
        Deadline d = CURRENT.get();
        return d != null ? d : of(OUTSIDE_AN_INVOCATION, Duration.ZERO);
    }

    /** Runs {@code work} under this deadline on the calling thread. */
    public <T> T call(Supplier<T> work) {
        Deadline outer = CURRENT.get();
        CURRENT.set(this);
        try {
            return work.get();
        } finally {
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
    }

    /** The same invocation, allowed to use the reserve: for undoing a failed step. */
    public Deadline forCleanup() {
        return new Deadline(hardEnd, hardEnd);
    }

    /** Time left, never negative. */
    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, workEnd - System.nanoTime()));
    }

    public boolean expired() {
        return workEnd - System.nanoTime() <= 0;
    }

    /** The smaller of {@code limit} and the time left, and at least a millisecond. */
    public Duration bound(Duration limit) {
        Duration left = remaining();
        Duration bound = left.compareTo(limit) < 0 ? left : limit;
        return bound.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : bound;
    }

    /** Whether {@code limit} or the deadline is the nearer end of a wait that starts now. */
    public boolean binds(Duration limit) {
        return remaining().compareTo(limit) < 0;
    }

    /** Refuses to start {@code what} once the time is up. */
    public void check(String what) {
        if (expired()) {
            throw new Exceeded(what);
        }
    }

    /** The invocation ran out of time before or while doing something. */
    public static final class Exceeded extends BrokerException {
        public Exceeded(String what) {
            super("pg-ephemeral ran out of time for this invocation while " + what);
        }
    }
}
