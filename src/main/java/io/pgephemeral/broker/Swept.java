package io.pgephemeral.broker;

import java.util.List;

/**
 * What one sweep did.
 *
 * @param expired   credentials past their expiry that were ended
 * @param abandoned escalations that never finished, cleaned up
 * @param vanished  open credentials whose role was already gone, closed
 * @param orphans   temporary logins with no open credential, removed
 * @param leftovers stray secrets removed: the broker's secrets that held no open credential
 * @param more      true when the batch or time budget ran out with work left for the next sweep
 * @param skipped   true when another sweep was running, so this one did nothing
 * @param failures  one line per credential that could not be handled
 */
public record Swept(int expired, int abandoned, int vanished, int orphans, int leftovers, boolean more,
                    boolean skipped, List<String> failures) {
}
