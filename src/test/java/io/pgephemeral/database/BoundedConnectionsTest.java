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
