package io.pgephemeral.broker;

/**
 * A written secret.
 *
 * @param name     the secret's name, which requesters use to fetch it
 * @param location its ARN, or the file that holds it in the local store
 */
public record StoredSecret(String name, String location) {
}
