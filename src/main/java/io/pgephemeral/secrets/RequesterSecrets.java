package io.pgephemeral.secrets;

import io.pgephemeral.json.JsonTree;
import io.pgephemeral.secrets.RequesterCredential.CredentialUnavailable;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A requester's own current credential, read with the requester's own rights: their AWS identity
 * for Secrets Manager, their file permissions for the local store. The broker's rights play no part.
 */
public final class RequesterSecrets {

    /** Reads a secret's JSON value by name; empty when there is no such secret. */
    public interface Source {
        Optional<String> value(String secretName);
    }

    private final Source source;
    private final SecretNames names;

    public RequesterSecrets(Source source, SecretNames names) {
        this.source = source;
        this.names = names;
    }

    /** The credential of {@code requester} for {@code target}, if it exists and has not expired at {@code now}. */
    public RequesterCredential current(String requester, String target, Instant now) {
        String name = names.of(requester, target);
        String value = source.value(name).orElseThrow(() -> new CredentialUnavailable("no credential for " + requester
                + " on target '" + target + "' (no secret " + name + "): request access in Sym first"));
        Map<String, Object> parsed;
        try {
            parsed = JsonTree.readObject(value);
        } catch (JsonTree.Malformed e) { // its words may quote the password: not shown
            throw new CredentialUnavailable("secret " + name
                    + " is not a pg-ephemeral credential (not one JSON object with each key once)");
        }
        RequesterCredential credential = RequesterCredential.of(name, parsed);
        if (!now.isBefore(credential.expiresAt())) {
            throw new CredentialUnavailable("your credential for '" + target + "' expired at " + credential.expiresAt()
                    + "; request access again in Sym");
        }
        return credential;
    }

    /** Secrets Manager, with whatever identity the client was built with. */
    public static Source secretsManager(SecretsManagerClient client) {
        return name -> {
            try {
                return Optional.ofNullable(client.getSecretValue(b -> b.secretId(name)).secretString());
            } catch (ResourceNotFoundException e) {
                return Optional.empty();
            } catch (SecretsManagerException e) {
                String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
                if ("AccessDeniedException".equals(code)) {
                    throw new CredentialUnavailable("access denied reading secret " + name + ": you may read only"
                            + " secrets tagged pg-ephemeral:requester with your own identity (AWS answers the same"
                            + " when no such secret exists); check --requester and --profile");
                }
                if ("InvalidRequestException".equals(code) && String.valueOf(e.awsErrorDetails().errorMessage())
                        .contains("marked for deletion")) {
                    return Optional.empty();
                }
                throw new CredentialUnavailable("could not read secret " + name + ": " + SecretsManagerStore.describe(e));
            } catch (SdkException e) {
                throw new CredentialUnavailable("could not reach Secrets Manager: " + SecretsManagerStore.describe(e));
            }
        };
    }

    /** The local store's files, read with the file permissions of whoever runs this. */
    public static Source localFiles(LocalFileStore store) {
        return name -> {
            try {
                Object value = store.read(name).get("value");
                return value == null ? Optional.empty() : Optional.of(JsonTree.string(value));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (java.nio.file.AccessDeniedException e) {
                throw new CredentialUnavailable("access denied reading " + store.fileOf(name)
                        + ": it belongs to another user");
            } catch (IOException e) {
                throw new CredentialUnavailable("could not read " + store.fileOf(name) + ": " + e.getClass().getSimpleName());
            }
        };
    }
}
