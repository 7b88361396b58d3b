package io.pgephemeral.broker;

import java.time.Duration;

/**
 * @param connectionLimit   CONNECTION LIMIT of each temporary role
 * @param passwordLength    length of generated passwords
 * @param inProgressTimeout how long an unfinished attempt of a run is left alone before a retry of
 *                          that run cleans it up and starts over
 */
public record EscalationSettings(int connectionLimit, int passwordLength, Duration inProgressTimeout) {
}
