package io.pgephemeral.broker;

import java.time.Duration;

/**
 * @param batchSize         most credentials one sweep acts on
 * @param timeBudget        how long one sweep may work
 * @param lookback          how far back to look for credentials left open
 * @param inProgressTimeout after this, an unfinished escalation is abandoned and cleaned up
 */
public record SweepSettings(int batchSize, Duration timeBudget, Duration lookback, Duration inProgressTimeout) {
}
