package io.pgephemeral.broker;

import io.pgephemeral.crypto.Password;

import java.time.Instant;

/** A credential as handed to the requester. Its password prints as {@code [redacted]}. */
public record IssuedCredential(
        String requester,
        String target,
        String roleName,
        Password password,
        Endpoint endpoint,
        Instant expiresAt) {
}
