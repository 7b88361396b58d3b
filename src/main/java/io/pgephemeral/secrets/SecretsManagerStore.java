package io.pgephemeral.secrets;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.json.JsonMapper;
import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.CredentialStore;
import io.pgephemeral.broker.IssuedCredential;
import io.pgephemeral.broker.SecretRemoval;
import io.pgephemeral.broker.StoredSecret;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.CreateSecretRequest;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.InvalidRequestException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Issued credentials in AWS Secrets Manager, one secret per requester and target, tagged so that
 * an IAM policy lets each requester read only their own.
 */
public final class SecretsManagerStore implements CredentialStore {

    /** A force-deleted name is released asynchronously; a create shortly after may still see it. */
    private static final int RESERVED_NAME_RETRIES = 8;
    private static final long RESERVED_NAME_BACKOFF_MS = 250;

    private final Supplier<SecretsManagerClient> client;
    private final SecretNames names;
    private final @Nullable String kmsKeyId;
    private final JsonMapper json;

    public SecretsManagerStore(Supplier<SecretsManagerClient> client, SecretNames names, @Nullable String kmsKeyId, JsonMapper json) {
        this.client = client;
        this.names = names;
        this.kmsKeyId = kmsKeyId;
        this.json = json;
    }

    @Override
    public void prepare() {
        client.get();
    }

    @Override
    public String nameFor(String requester, String target) {
        return names.of(requester, target);
    }

    @Override
    public StoredSecret store(IssuedCredential credential, String idempotencyToken) {
        String name = nameFor(credential.requester(), credential.target());
        String value = serialise(credential);
        List<Tag> tags = SecretTags.of(credential).entrySet().stream()
                .map(t -> Tag.builder().key(t.getKey()).value(t.getValue()).build())
                .toList();
        try {
            for (int attempt = 0; ; attempt++) {
                try {
                    String arn = client.get().createSecret(CreateSecretRequest.builder()
                            .name(name)
                            .description("pg-ephemeral credential of " + credential.requester() + " for "
                                    + credential.target() + ", valid until " + credential.expiresAt())
                            .secretString(value)
                            .clientRequestToken(idempotencyToken)
                            .kmsKeyId(kmsKeyId)
                            .tags(tags)
                            .build()).arn();
                    return new StoredSecret(name, arn);
                } catch (ResourceExistsException e) {
                    return replace(name, credential, value, idempotencyToken, tags);
                } catch (InvalidRequestException e) {
                    if (!scheduledForDeletion(name) || attempt >= RESERVED_NAME_RETRIES) {
                        throw e;
                    }
                    sleep(RESERVED_NAME_BACKOFF_MS * (attempt + 1));
                }
            }
        } catch (SdkException e) {
            throw new BrokerException("could not store the credential in Secrets Manager: " + describe(e), e);
        }
    }

    /** The requester already has a secret for this target: give it the new credential. */
    private StoredSecret replace(String name, IssuedCredential credential, String value, String token, List<Tag> tags) {
        DescribeSecretResponse existing = client.get().describeSecret(b -> b.secretId(name));
        String owner = tag(existing, SecretTags.REQUESTER);
        if (!credential.requester().equals(owner)) {
            throw new BrokerException("secret " + name + " exists but is not tagged as "
                    + credential.requester() + "'s; refusing to overwrite it");
        }
        // Tag first: a deescalate of the older credential that looks in between then keeps the
        // secret (it is tagged for the newer role) instead of deleting the newer password.
        client.get().tagResource(b -> b.secretId(existing.arn()).tags(tags));
        client.get().putSecretValue(b -> b.secretId(existing.arn()).secretString(value).clientRequestToken(token));
        return new StoredSecret(name, existing.arn());
    }

    @Override
    public SecretRemoval remove(String secretName, String roleName) {
        try {
            DescribeSecretResponse existing;
            try {
                existing = client.get().describeSecret(b -> b.secretId(secretName));
            } catch (ResourceNotFoundException e) {
                return SecretRemoval.ABSENT;
            }
            if (existing.deletedDate() != null) {
                return SecretRemoval.ABSENT;
            }
            if (!roleName.equals(tag(existing, SecretTags.ROLE))) {
                return SecretRemoval.KEPT_FOR_NEWER;
            }
            // No recovery window: no version that held the password stays retrievable, and the name
            // is free for the requester's next escalation at once.
            client.get().deleteSecret(b -> b.secretId(existing.arn()).forceDeleteWithoutRecovery(true));
            return SecretRemoval.DELETED;
        } catch (ResourceNotFoundException e) {
            return SecretRemoval.ABSENT;
        } catch (SdkException e) {
            throw new BrokerException("could not delete secret " + secretName + ": " + describe(e), e);
        }
    }

    private boolean scheduledForDeletion(String name) {
        try {
            return client.get().describeSecret(b -> b.secretId(name)).deletedDate() != null;
        } catch (ResourceNotFoundException e) {
            return true; // gone between our calls: the name is being released, try again
        }
    }

    private String serialise(IssuedCredential credential) {
        try {
            return json.writeValueAsString(SecretTags.value(credential));
        } catch (IOException e) {
            throw new BrokerException("could not serialise the credential");
        }
    }

    private static String tag(DescribeSecretResponse secret, String key) {
        return secret.tags().stream().filter(t -> Objects.equals(t.key(), key)).map(Tag::value).findFirst().orElse(null);
    }

    /** AWS's error code and message, one line; never the request, which holds the password. */
    public static String describe(SdkException e) {
        if (e instanceof SecretsManagerException s && s.awsErrorDetails() != null) {
            return s.awsErrorDetails().errorCode() + ": " + s.awsErrorDetails().errorMessage();
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().findFirst().orElse(message);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while waiting for Secrets Manager");
        }
    }
}
