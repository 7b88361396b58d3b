package io.pgephemeral.testing.memory;

import io.pgephemeral.broker.Deescalation;
import io.pgephemeral.broker.DurationPolicy;
import io.pgephemeral.broker.Endpoint;
import io.pgephemeral.broker.Escalation;
import io.pgephemeral.broker.EscalationSettings;
import io.pgephemeral.broker.Revoker;
import io.pgephemeral.broker.RoleNames;
import io.pgephemeral.broker.Sweep;
import io.pgephemeral.broker.SweepSettings;
import io.pgephemeral.broker.TargetAllowList;
import io.pgephemeral.crypto.PasswordGenerator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The use cases wired as BrokerFactory wires them, over the in-memory ports and a clock the test
 * moves: a broker without PostgreSQL or AWS, for the fast use-case tests.
 */
public final class InMemoryBroker {

    public static final Duration IN_PROGRESS = Duration.ofMinutes(5);

    public final PortCalls calls = new PortCalls();
    public final TestClock clock = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
    public final InMemoryLedger ledger = new InMemoryLedger(calls);
    public final InMemoryRoles roles = new InMemoryRoles(calls);
    public final InMemorySecrets secrets = new InMemorySecrets(calls, clock);
    public final Escalation escalation;
    public final Deescalation deescalation;
    public final Sweep sweep;
    public final Revoker revoker;

    /** One for all: seeding a generator is the slowest thing these tests would otherwise do. */
    private static final PasswordGenerator PASSWORDS = new PasswordGenerator();

    public InMemoryBroker() {
        PasswordGenerator passwords = PASSWORDS;
        TargetAllowList targets = TargetAllowList.parse("readonly=readonly,analytics=analytics_ro", "ephemeral_managed");
        revoker = new Revoker(roles, secrets, ledger, clock);
        escalation = new Escalation(targets, new DurationPolicy(Duration.ofHours(8)),
                new RoleNames("eph_{requester}_{suffix}", passwords::randomBytes), passwords, roles, secrets, ledger,
                new Endpoint("db.example", 5432, "app"), new EscalationSettings(5, 32, IN_PROGRESS), clock);
        deescalation = new Deescalation(revoker, ledger, clock);
        sweep = new Sweep(roles, secrets, ledger, revoker,
                new SweepSettings(500, Duration.ofSeconds(30), Duration.ofDays(7), IN_PROGRESS), clock);
    }

    /** A clock the test sets; the broker reads it for every timestamp and expiry decision. */
    public static final class TestClock extends Clock {
        private volatile Instant now;

        TestClock(Instant now) {
            this.now = now;
        }

        public void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
