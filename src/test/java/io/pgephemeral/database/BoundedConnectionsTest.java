package io.pgephemeral.database;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgephemeral.broker.Deadline;
import io.pgephemeral.testing.DelayProxy;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's bound on every statement ({@code statement_timeout}) as {@link BoundedConnections}
 * hands out a pooled session: always within the time the invocation has left, and set again only
 * when it no longer fits, since setting it costs a round trip. One pooled session, reached through
 * a relay that counts round trips.
 */
class BoundedConnectionsTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private DelayProxy relay;
    private HikariDataSource pool;

    @BeforeEach
    void onePooledSession() throws Exception {
        relay = DelayProxy.forJdbcUrl(env.jdbcUrl(), 0);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(relay.jdbcUrl());
        config.setUsername(TestEnvironment.BOT);
        config.setPassword(env.botPassword());
        config.setMaximumPoolSize(1);
        config.setPoolName("bounded-test");
        pool = new HikariDataSource(config);
    }

    @AfterEach
    void close() throws Exception {
        pool.close();
        relay.close();
    }

    /**
     * Two invocations with the same time to run, one after the other, as a warm Lambda serves them:
     * the second gets the session as the first left it, bounded already, without a round trip.
     */
    @Test
    void aSessionAlreadyBoundedForTheTimeLeftIsHandedOutWithoutARoundTrip() throws Exception {
        long first = statementTimeoutWithin(Duration.ofSeconds(30));
        assertTrue(first > 29_000 && first <= 30_000, "bounded by the time left: " + first);

        long before = relay.roundTrips();
        Deadline.of(Duration.ofSeconds(30), Duration.ZERO).call(() -> {
            try (Connection c = BoundedConnections.open(pool)) {
                return c;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(0, relay.roundTrips() - before, "round trips to hand out a session already bounded");
        assertEquals(first, statementTimeoutWithin(Duration.ofSeconds(30)), "and its bound is the one it had");
    }

    /** A session bounded for an invocation with longer to run is bounded again, to the time left. */
    @Test
    void aSessionBoundedForLongerThanTheTimeLeftIsBoundedAgain() throws Exception {
        statementTimeoutWithin(Duration.ofSeconds(60));
        long bound = statementTimeoutWithin(Duration.ofSeconds(5));
        assertTrue(bound > 4_000 && bound <= 5_000, "bounded by the time left: " + bound);
    }

    /**
     * A session bounded for an invocation that had little time left would cancel a later one's
     * statements long before its deadline: it is given the new invocation's time.
     */
    @Test
    void aSessionBoundedFarTighterThanTheTimeLeftIsRelaxed() throws Exception {
        statementTimeoutWithin(Duration.ofSeconds(2));
        long bound = statementTimeoutWithin(Duration.ofSeconds(30));
        assertTrue(bound > 29_000 && bound <= 30_000, "bounded by the time left: " + bound);
    }

    /**
     * A session handed out after its invocation's time ran out while it waited for the pool: no
     * time is left, but a {@code statement_timeout} of 0 would switch the server's bound off, so
     * it gets the shortest bound there is and its statements are cancelled at once.
     */
    @Test
    void aSessionHandedOutWithNoTimeLeftIsNotUnboundedOnTheServer() throws Exception {
        Deadline deadline = Deadline.of(Duration.ofMillis(100), Duration.ZERO);
        SQLException cancelled;
        try (Connection held = pool.getConnection()) {
            java.util.concurrent.CompletableFuture<SQLException> late = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> deadline.call(() -> {
                        // Waits for the only session, which is handed over once the deadline has passed.
                        try (Connection c = BoundedConnections.open(pool); Statement s = c.createStatement()) {
                            s.execute("SELECT pg_sleep(2)");
                            return null;
                        } catch (SQLException e) {
                            return e;
                        }
                    }));
            while (!deadline.expired()) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            held.close();
            cancelled = late.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertNotNull(cancelled, "the statement ran to its end: the server had no bound on it");
        assertEquals("57014", cancelled.getSQLState(), cancelled.getMessage());
    }

    /** The statement_timeout, in ms, of the session handed out in an invocation with {@code budget} to run. */
    private long statementTimeoutWithin(Duration budget) {
        return Deadline.of(budget, Duration.ZERO).call(() -> {
            try (Connection c = BoundedConnections.open(pool); Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT setting::bigint FROM pg_settings WHERE name = 'statement_timeout'")) {
                r.next();
                return r.getLong(1);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
