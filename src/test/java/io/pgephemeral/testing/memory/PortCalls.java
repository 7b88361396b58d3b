package io.pgephemeral.testing.memory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Where a test steps in between two port calls: every call of the in-memory ports announces itself
 * here by name ("ledger.record", "roles.create", ...) before it does anything. A test can make one
 * thread stop at one call ({@link #pauseAt}), run something else meanwhile, and let it go on:
 * interleavings forced with latches, not with sleeps.
 */
public final class PortCalls {

    private static final long WAIT_SECONDS = 5;

    private final Map<String, Pause> pauses = new ConcurrentHashMap<>();

    void enter(String call) {
        Pause pause = pauses.get(call);
        if (pause != null && (pause.thread == null || pause.thread == Thread.currentThread())
                && pause.toSkip.getAndDecrement() <= 0 && pauses.remove(call, pause)) {
            pause.reached.countDown();
            await(pause.resume, "the test to resume " + call);
        }
    }

    /** The first time {@code thread} makes {@code call}, it stops before the call until resumed. */
    public Pause pauseAt(String call, Thread thread) {
        Pause pause = new Pause(call, thread);
        pauses.put(call, pause);
        return pause;
    }

    /**
     * The first thread, whichever it is, that makes {@code call} stops before it until resumed: for
     * a call the use case hands to a worker thread of its own.
     */
    public Pause pauseAtAnyThread(String call) {
        return pauseAtAnyThread(call, 0);
    }

    /** {@link #pauseAtAnyThread(String)}, letting the first {@code skip} calls through. */
    public Pause pauseAtAnyThread(String call, int skip) {
        Pause pause = new Pause(call, null);
        pause.toSkip.set(skip);
        pauses.put(call, pause);
        return pause;
    }

    private static void await(CountDownLatch latch, String what) {
        try {
            if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("waited " + WAIT_SECONDS + " s for " + what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, e);
        }
    }

    /** One thread held before one call; {@code thread} null for whichever gets there first. */
    public static final class Pause {
        private final String call;
        private final Thread thread;
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch resume = new CountDownLatch(1);
        private final java.util.concurrent.atomic.AtomicInteger toSkip = new java.util.concurrent.atomic.AtomicInteger();

        private Pause(String call, Thread thread) {
            this.call = call;
            this.thread = thread;
        }

        /** Waits until the thread is held at the call; fails if it never gets there. */
        public void awaitReached() {
            await(reached, (thread == null ? "a thread" : thread.getName()) + " to reach " + call);
        }

        /** Whether the thread got to the call (it may end before it, e.g. refused earlier). */
        public boolean reached() {
            return reached.getCount() == 0;
        }

        public void resume() {
            resume.countDown();
        }
    }
}
