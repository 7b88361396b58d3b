package io.pgephemeral.secrets;

import io.pgephemeral.broker.ErrorLine;
import io.micronaut.core.annotation.Nullable;
import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.CredentialStore;
import io.pgephemeral.broker.Deadline;
import io.pgephemeral.broker.IssuedCredential;
import io.pgephemeral.broker.ListedSecret;
import io.pgephemeral.broker.SecretRemoval;
import io.pgephemeral.broker.StoredSecret;
import io.pgephemeral.json.JsonTree;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.CreateSecretRequest;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.Filter;
import software.amazon.awssdk.services.secretsmanager.model.FilterNameStringType;
import software.amazon.awssdk.services.secretsmanager.model.InvalidRequestException;
import software.amazon.awssdk.services.secretsmanager.model.ListSecretsResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretListEntry;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Issued credentials in AWS Secrets Manager, one secret per requester and target, tagged so that
 * an IAM policy lets each requester read only their own.
 *
 * <p>A newer credential for the same requester and target replaces the value with a new version
 * ({@code PutSecretValue}), and AWS keeps the one it replaced as {@code AWSPREVIOUS}: undoing a
 * replacement that failed halfway moves {@code AWSCURRENT} back to it, so the requester's standing
 * credential is never lost, whatever step failed or wherever the broker died.
 */
public final class SecretsManagerStore implements CredentialStore {

    /** A force-deleted name is released asynchronously; a create shortly after may still see it. */
    private static final int RESERVED_NAME_RETRIES = 8;
    private static final long RESERVED_NAME_BACKOFF_MS = 250;
    private static final String CURRENT = "AWSCURRENT";
    private static final String PREVIOUS = "AWSPREVIOUS";
    private static final Duration LONGEST_CALL = Duration.ofMinutes(1);

    private final Supplier<SecretsManagerClient> client;
    private final SecretNames names;
    private final @Nullable String kmsKeyId;

    public SecretsManagerStore(Supplier<SecretsManagerClient> client, SecretNames names, @Nullable String kmsKeyId) {
        this.client = client;
        this.names = names;
        this.kmsKeyId = kmsKeyId;
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
    public StoredSecret store(IssuedCredential credential, String version) {
        String name = nameFor(credential.requester(), credential.target());
        String value = serialise(credential);
        try {
            for (int attempt = 0; ; attempt++) {
                try {
                    String arn = client.get().createSecret(CreateSecretRequest.builder()
                            .overrideConfiguration(bounded())
                            .name(name)
                            .description("pg-ephemeral credential of " + credential.requester() + " for "
                                    + credential.target() + ", valid until " + credential.expiresAt())
                            .secretString(value)
                            .clientRequestToken(version)
                            .kmsKeyId(kmsKeyId)
                            .tags(tags(SecretTags.of(credential)))
                            .build()).arn();
                    return new StoredSecret(name, arn);
                } catch (ResourceExistsException e) {
                    return replace(name, credential, value, version);
                } catch (InvalidRequestException e) {
                    if (!scheduledForDeletion(name) || attempt >= RESERVED_NAME_RETRIES) {
                        throw e;
                    }
                    sleep(Deadline.current().bound(Duration.ofMillis(RESERVED_NAME_BACKOFF_MS * (attempt + 1))).toMillis());
                }
            }
        } catch (SdkException e) {
            throw new BrokerException("could not store the credential in Secrets Manager: " + describe(e), e);
        }
    }

    /**
     * The requester already has a secret for this target: give it the new credential. The value
     * moves first, in one call that also makes it current; the tags that describe it follow. Before
     * that, the tags record what the secret held, for {@link #withdraw}.
     */
    private StoredSecret replace(String name, IssuedCredential credential, String value, String version) {
        DescribeSecretResponse existing = client.get().describeSecret(b -> b.overrideConfiguration(bounded()).secretId(name));
        requireOwn(existing, credential.requester());
        if (!version.equals(current(existing))) {
            Map<String, String> previous = new LinkedHashMap<>();
            previous.put(SecretTags.PREVIOUS_ROLE, Objects.requireNonNullElse(tag(existing, SecretTags.ROLE), ""));
            previous.put(SecretTags.PREVIOUS_EXPIRES_AT,
                    Objects.requireNonNullElse(tag(existing, SecretTags.EXPIRES_AT), ""));
            client.get().tagResource(b -> b.overrideConfiguration(bounded()).secretId(existing.arn()).tags(tags(previous)));
            client.get().putSecretValue(b -> b.overrideConfiguration(bounded()).secretId(existing.arn()).secretString(value).clientRequestToken(version));
        }
        client.get().tagResource(b -> b.overrideConfiguration(bounded()).secretId(existing.arn()).tags(tags(SecretTags.of(credential))));
        return new StoredSecret(name, existing.arn());
    }

    /**
     * A secret of the requester's name that someone else made (anyone who may create secrets
     * under the prefix could) must not receive a password: it may be encrypted under a key they
     * control or carry a policy that lets them read it. Only a secret with the broker's creation
     * tag, under the broker's key and without a resource policy is written into.
     */
    private void requireOwn(DescribeSecretResponse existing, String requester) {
        String problem = null;
        if (!SecretTags.BROKER.equals(tag(existing, SecretTags.CREATED_BY))) {
            problem = "it lacks the tag " + SecretTags.CREATED_BY + "=" + SecretTags.BROKER;
        } else if (!requester.equals(tag(existing, SecretTags.REQUESTER))) {
            problem = "it is not tagged as " + requester + "'s";
        } else if (!sameKey(existing.kmsKeyId())) {
            problem = "it is encrypted under " + (existing.kmsKeyId() == null ? "AWS's managed key"
                    : "KMS key " + existing.kmsKeyId()) + ", not the broker's";
        } else if (client.get().getResourcePolicy(b -> b.overrideConfiguration(bounded()).secretId(existing.arn())).resourcePolicy() != null) {
            problem = "it has a resource policy";
        }
        if (problem != null) {
            throw new BrokerException("secret " + existing.name() + " exists but was not made by pg-ephemeral ("
                    + problem + "); refusing to write a credential into it. Nothing was written; an administrator"
                    + " should inspect and delete that secret");
        }
    }

    /** Whether a secret's key is the configured one: AWS reports it as an ARN, operators may give an id or alias. */
    private boolean sameKey(@Nullable String actual) {
        if (kmsKeyId == null || actual == null) {
            return kmsKeyId == null && (actual == null || actual.endsWith(":alias/aws/secretsmanager"));
        }
        return actual.equals(kmsKeyId) || actual.endsWith("/" + kmsKeyId) || actual.endsWith(":" + kmsKeyId);
    }

    @Override
    public SecretRemoval remove(String secretName, String version) {
        try {
            DescribeSecretResponse existing = describeLive(secretName);
            SecretRemoval otherwise = unlessHolding(existing, version);
            if (otherwise != null) {
                return otherwise;
            }
            // No recovery window: no version that held the password stays retrievable, and the name
            // is free for the requester's next escalation at once.
            forceDelete(existing);
            return SecretRemoval.DELETED;
        } catch (ResourceNotFoundException e) {
            return SecretRemoval.ABSENT;
        } catch (SdkException e) {
            throw new BrokerException("could not delete secret " + secretName + ": " + describe(e), e);
        }
    }

    /** What to report instead of acting, when the secret is gone or holds another credential than {@code version}'s. */
    private static @Nullable SecretRemoval unlessHolding(@Nullable DescribeSecretResponse secret, String version) {
        if (secret == null) {
            return SecretRemoval.ABSENT;
        }
        return version.equals(current(secret)) ? null : SecretRemoval.KEPT_FOR_NEWER;
    }

    private void forceDelete(DescribeSecretResponse secret) {
        client.get().deleteSecret(b -> b.overrideConfiguration(bounded()).secretId(secret.arn())
                .forceDeleteWithoutRecovery(true));
    }

    @Override
    public SecretRemoval withdraw(String secretName, String version) {
        try {
            DescribeSecretResponse existing = describeLive(secretName);
            SecretRemoval otherwise = unlessHolding(existing, version);
            if (otherwise != null) {
                return otherwise;
            }
            String previous = stage(existing, PREVIOUS);
            if (previous == null) {
                forceDelete(existing);
                return SecretRemoval.DELETED;
            }
            client.get().updateSecretVersionStage(b -> b.overrideConfiguration(bounded()).secretId(existing.arn()).versionStage(CURRENT)
                    .moveToVersionId(previous).removeFromVersionId(version));
            Map<String, String> restored = new LinkedHashMap<>();
            String role = tag(existing, SecretTags.PREVIOUS_ROLE);
            String expiresAt = tag(existing, SecretTags.PREVIOUS_EXPIRES_AT);
            if (role != null && !role.isEmpty()) {
                restored.put(SecretTags.ROLE, role);
            }
            if (expiresAt != null && !expiresAt.isEmpty()) {
                restored.put(SecretTags.EXPIRES_AT, expiresAt);
            }
            if (!restored.isEmpty()) {
                client.get().tagResource(b -> b.overrideConfiguration(bounded()).secretId(existing.arn()).tags(tags(restored)));
            }
            return SecretRemoval.RESTORED;
        } catch (ResourceNotFoundException e) {
            return SecretRemoval.ABSENT;
        } catch (SdkException e) {
            throw new BrokerException("could not undo the write of secret " + secretName + ": " + describe(e), e);
        }
    }

    @Override
    public List<ListedSecret> list() {
        List<ListedSecret> out = new ArrayList<>();
        try {
            String next = null;
            do {
                String page = next;
                ListSecretsResponse response = client.get().listSecrets(b -> b.overrideConfiguration(bounded()).maxResults(100).nextToken(page)
                        .filters(Filter.builder().key(FilterNameStringType.NAME).values(names.prefix()).build(),
                                Filter.builder().key(FilterNameStringType.TAG_KEY).values(SecretTags.CREATED_BY).build()));
                for (SecretListEntry s : response.secretList()) {
                    // The filters match prefixes: keep exactly the broker's own.
                    if (s.name().startsWith(names.prefix()) && SecretTags.BROKER.equals(tag(s.tags(), SecretTags.CREATED_BY))) {
                        out.add(new ListedSecret(s.name(), currentOf(s.secretVersionsToStages()),
                                tag(s.tags(), SecretTags.ROLE),
                                s.lastChangedDate() != null ? s.lastChangedDate() : s.createdDate() != null
                                        ? s.createdDate() : Instant.EPOCH));
                    }
                }
                next = response.nextToken();
            } while (next != null);
            return out;
        } catch (SdkException e) {
            throw new BrokerException("could not list the broker's secrets: " + describe(e), e);
        }
    }

    /** The secret, or null if it does not exist or is scheduled for deletion. */
    private @Nullable DescribeSecretResponse describeLive(String name) {
        try {
            DescribeSecretResponse existing = client.get().describeSecret(b -> b.overrideConfiguration(bounded()).secretId(name));
            return existing.deletedDate() == null ? existing : null;
        } catch (ResourceNotFoundException e) {
            return null;
        }
    }

    private boolean scheduledForDeletion(String name) {
        try {
            return client.get().describeSecret(b -> b.overrideConfiguration(bounded()).secretId(name)).deletedDate() != null;
        } catch (ResourceNotFoundException e) {
            return true; // gone between our calls: the name is being released, try again
        }
    }

    private String serialise(IssuedCredential credential) {
        return JsonTree.string(SecretTags.value(credential));
    }

    private static @Nullable String current(DescribeSecretResponse secret) {
        return stage(secret, CURRENT);
    }

    private static @Nullable String stage(DescribeSecretResponse secret, String stage) {
        return secret.versionIdsToStages().entrySet().stream().filter(e -> e.getValue().contains(stage))
                .map(Map.Entry::getKey).findFirst().orElse(null);
    }

    private static @Nullable String currentOf(Map<String, List<String>> stages) {
        return stages.entrySet().stream().filter(e -> e.getValue().contains(CURRENT))
                .map(Map.Entry::getKey).findFirst().orElse(null);
    }

    private static List<Tag> tags(Map<String, String> tags) {
        return tags.entrySet().stream().map(t -> Tag.builder().key(t.getKey()).value(t.getValue()).build()).toList();
    }

    private static @Nullable String tag(DescribeSecretResponse secret, String key) {
        return tag(secret.tags(), key);
    }

    private static @Nullable String tag(List<Tag> tags, String key) {
        return tags.stream().filter(t -> Objects.equals(t.key(), key)).map(Tag::value).findFirst().orElse(null);
    }

    /**
     * Every call ends by the invocation's deadline, retries included: a Secrets Manager that
     * accepts the connection and never answers cannot hold the broker past it.
     */
    static AwsRequestOverrideConfiguration bounded() {
        Deadline deadline = Deadline.current();
        deadline.check("calling Secrets Manager");
        return AwsRequestOverrideConfiguration.builder().apiCallTimeout(deadline.bound(LONGEST_CALL)).build();
    }

    /** AWS's error code and message, one line; never the request, which holds the password. */
    public static String describe(SdkException e) {
        if (e instanceof SecretsManagerException s && s.awsErrorDetails() != null) {
            return s.awsErrorDetails().errorCode() + ": " + s.awsErrorDetails().errorMessage();
        }
        return ErrorLine.of(e);
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
