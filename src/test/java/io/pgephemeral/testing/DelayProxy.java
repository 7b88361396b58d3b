package io.pgephemeral.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP relay on loopback that holds every chunk for a fixed time in each direction, for measuring
 * the broker as it runs against a database that is not on the same machine (a network round trip
 * of twice the delay). Chunks keep their order and are not held behind each other: a pipelined
 * batch costs one delay, not one per statement.
 *
 * <p>It also counts round trips: each time a client sends after the relay last handed it something
 * from the server (or first sends) begins one. Counting at the hand-over, not when the server
 * answers, keeps a batch the client writes in two pieces one round trip, unless the pieces are a
 * whole delay apart. Its delays are sleeps: a test may count round trips through it, never time them.
 *
 * <p>A test can also act between the server's answer and the client's reading of it
 * ({@link #beforeAnswerContaining}): the window in which the client has not yet seen what the
 * server did.
 */
public final class DelayProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final String pathAndQuery;
    private final long delayNanos;
    private final AtomicLong roundTrips = new AtomicLong();
    private final AtomicReference<Hook> hook = new AtomicReference<>();
    private final AtomicReference<RuntimeException> hookFailure = new AtomicReference<>();
    private volatile boolean closed;

    /**
     * A relay to the server a {@code jdbc:postgresql://host:port/...} URL names; {@link #jdbcUrl}
     * is the same URL through the relay.
     */
    public static DelayProxy forJdbcUrl(String url, long oneWayMicros) throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^jdbc:postgresql://([^:/]+):(\\d+)(/.*)$").matcher(url);
        if (!m.matches()) {
            throw new IllegalArgumentException("cannot relay a JDBC URL of this form: " + url);
        }
        return new DelayProxy(new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))), oneWayMicros, m.group(3));
    }

    /** Relays to {@code target}, holding each chunk {@code oneWayMicros} in each direction. */
    private DelayProxy(InetSocketAddress target, long oneWayMicros, String pathAndQuery) throws IOException {
        this.pathAndQuery = pathAndQuery;
        this.target = target;
        this.delayNanos = oneWayMicros * 1_000;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "delay-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** The JDBC URL this relay was made for ({@link #forJdbcUrl}), through the relay. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + pathAndQuery;
    }

    /** Round trips begun by clients since the proxy started. */
    public long roundTrips() {
        return roundTrips.get();
    }

    private record Hook(byte[] marker, Runnable action) {
    }

    /**
     * Runs {@code action} once, on the relay's thread, before the first piece of a server's answer
     * that contains {@code marker} (ASCII) is handed to its client, which waits meanwhile. What the
     * action throws is kept for {@link #requireHookRan}, and the answer is handed over all the same.
     */
    public void beforeAnswerContaining(String marker, Runnable action) {
        Hook h = new Hook(marker.getBytes(java.nio.charset.StandardCharsets.US_ASCII), action);
        if (!hook.compareAndSet(null, h)) {
            throw new IllegalStateException("an action is already waiting for an answer");
        }
    }

    /** Fails unless the action given to {@link #beforeAnswerContaining} ran, and ran without throwing. */
    public void requireHookRan() {
        if (hook.get() != null) {
            throw new AssertionError("no answer of the server contained the marker, so the action never ran");
        }
        if (hookFailure.get() != null) {
            throw new AssertionError("the action before the answer failed", hookFailure.get());
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(target.getAddress(), target.getPort());
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                Connection connection = new Connection();
                relay(client, server, connection, true);
                relay(server, client, connection, false);
            } catch (IOException e) {
                if (!closed) {
                    throw new IllegalStateException("delay proxy: " + e.getMessage(), e);
                }
            }
        }
    }

    /** Whether the client of one connection was handed anything since it last sent, for counting round trips. */
    private final class Connection {
        private boolean answered = true;

        synchronized void fromClient() {
            if (answered) {
                roundTrips.incrementAndGet();
            }
            answered = false;
        }

        synchronized void handedToClient() {
            answered = true;
        }
    }

    private record Chunk(long dueNanos, byte[] bytes) {
    }

    private void relay(Socket from, Socket to, Connection connection, boolean fromClient) throws IOException {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        Thread reader = new Thread(() -> {
            byte[] buffer = new byte[65536];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    if (fromClient) {
                        connection.fromClient();
                    }
                    queue.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buffer, n)));
                }
            } catch (IOException ignored) {
                // the connection ended
            }
            queue.add(new Chunk(0, null));
        }, "delay-proxy-read");
        Thread writer = new Thread(() -> {
            try {
                while (true) {
                    Chunk c = queue.take();
                    if (c.bytes() == null) {
                        break;
                    }
                    for (long wait; (wait = c.dueNanos() - System.nanoTime()) > 0; ) {
                        LockSupport.parkNanos(wait);
                    }
                    Hook h = fromClient ? null : hook.get();
                    if (h != null && contains(c.bytes(), h.marker())) {
                        try {
                            h.action().run();
                        } catch (RuntimeException e) {
                            hookFailure.set(e);
                        }
                        hook.set(null);
                    }
                    out.write(c.bytes());
                    out.flush();
                    if (!fromClient) {
                        connection.handedToClient();
                    }
                }
            } catch (IOException | InterruptedException ignored) {
                // the connection ended
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }, "delay-proxy-write");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    private static boolean contains(byte[] bytes, byte[] marker) {
        outer:
        for (int i = 0; i + marker.length <= bytes.length; i++) {
            for (int j = 0; j < marker.length; j++) {
                if (bytes[i + j] != marker[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
    }
}
