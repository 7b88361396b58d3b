package io.pgephemeral.testing.memory;

import io.pgephemeral.broker.CredentialStore;
import io.pgephemeral.broker.IssuedCredential;
import io.pgephemeral.broker.ListedSecret;
import io.pgephemeral.broker.SecretRemoval;
import io.pgephemeral.broker.StoredSecret;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The requesters' secrets in memory, versioned as {@code secrets.SecretsManagerStore} and {@code
 * secrets.LocalFileStore} keep them: writing the same version again changes nothing, removal and
 * withdrawal act only on the version asked for (a newer credential is kept), and withdrawal puts
 * back what the secret held before.
 */
public final class InMemorySecrets implements CredentialStore {

    /** One version of a secret: whose credential it holds, and the one it replaced. */
    public record Version(String version, String roleName, Instant changed, Version previous) {
    }

    private final Map<String, Version> secrets = new LinkedHashMap<>();
    private final PortCalls calls;
    private final Clock clock;
    private final Map<String, RuntimeException> failures = new java.util.concurrent.ConcurrentHashMap<>();

    public InMemorySecrets(PortCalls calls, Clock clock) {
        this.calls = calls;
        this.clock = clock;
    }

    /** The next {@code call} ("secrets.store", ...) throws {@code failure} instead of acting. */
    public void failNext(String call, RuntimeException failure) {
        failures.put(call, failure);
    }

    private void enter(String call) {
        calls.enter(call);
        RuntimeException failure = failures.remove(call);
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String nameFor(String requester, String target) {
        return "pg-ephemeral/" + requester + "/" + target;
    }

    @Override
    public StoredSecret store(IssuedCredential credential, String version) {
        enter("secrets.store");
        synchronized (this) {
            String name = nameFor(credential.requester(), credential.target());
            Version current = secrets.get(name);
            if (current == null || !current.version().equals(version)) {
                secrets.put(name, new Version(version, credential.roleName(), clock.instant(),
                        current == null ? null : new Version(current.version(), current.roleName(), current.changed(), null)));
            }
            return new StoredSecret(name, "memory:" + name);
        }
    }

    @Override
    public SecretRemoval remove(String secretName, String version) {
        enter("secrets.remove");
        synchronized (this) {
            Version current = secrets.get(secretName);
            if (current == null) {
                return SecretRemoval.ABSENT;
            }
            if (!current.version().equals(version)) {
                return SecretRemoval.KEPT_FOR_NEWER;
            }
            secrets.remove(secretName);
            return SecretRemoval.DELETED;
        }
    }

    @Override
    public SecretRemoval withdraw(String secretName, String version) {
        enter("secrets.withdraw");
        synchronized (this) {
            Version current = secrets.get(secretName);
            if (current == null) {
                return SecretRemoval.ABSENT;
            }
            if (!current.version().equals(version)) {
                return SecretRemoval.KEPT_FOR_NEWER;
            }
            if (current.previous() != null) {
                secrets.put(secretName, current.previous());
                return SecretRemoval.RESTORED;
            }
            secrets.remove(secretName);
            return SecretRemoval.DELETED;
        }
    }

    @Override
    public List<ListedSecret> list() {
        enter("secrets.list");
        synchronized (this) {
            List<ListedSecret> out = new ArrayList<>();
            secrets.forEach((name, v) -> out.add(new ListedSecret(name, v.version(), v.roleName(), v.changed())));
            return out;
        }
    }

    public synchronized Optional<Version> current(String secretName) {
        return Optional.ofNullable(secrets.get(secretName));
    }

    public synchronized List<String> names() {
        return List.copyOf(secrets.keySet());
    }
}
