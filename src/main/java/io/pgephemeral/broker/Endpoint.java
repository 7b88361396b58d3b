package io.pgephemeral.broker;

/** Where requesters connect: written into every issued secret. */
public record Endpoint(String host, int port, String database) {
}
