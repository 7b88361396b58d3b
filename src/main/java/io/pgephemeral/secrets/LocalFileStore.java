package io.pgephemeral.secrets;

import io.micronaut.json.JsonMapper;
import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.CredentialStore;
import io.pgephemeral.broker.IssuedCredential;
import io.pgephemeral.broker.SecretRemoval;
import io.pgephemeral.broker.StoredSecret;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Issued credentials as JSON files, for running the broker without AWS. Each file is created with
 * mode 0600 in a 0700 directory, written whole under a temporary name and moved into place, so a
 * reader never sees half a secret. The file holds the same value and tags Secrets Manager would.
 */
public final class LocalFileStore implements CredentialStore {

    private final Path directory;
    private final SecretNames names;
    private final JsonMapper json;

    public LocalFileStore(Path directory, SecretNames names, JsonMapper json) {
        this.directory = directory;
        this.names = names;
        this.json = json;
    }

    @Override
    public String nameFor(String requester, String target) {
        return names.of(requester, target);
    }

    /** The file that holds the secret of that name: {@code /} in the name becomes {@code %2F}. */
    public Path fileOf(String secretName) {
        return directory.resolve(secretName.replace("/", "%2F") + ".json");
    }

    @Override
    public StoredSecret store(IssuedCredential credential, String idempotencyToken) {
        String name = nameFor(credential.requester(), credential.target());
        Path file = fileOf(name);
        try {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Map<String, Object> content = new LinkedHashMap<>();
            content.put("name", name);
            content.put("version", idempotencyToken);
            content.put("tags", SecretTags.of(credential));
            content.put("value", SecretTags.value(credential));
            Path temp = Files.createTempFile(directory, ".secret-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.write(temp, json.writeValueAsBytes(content));
                try {
                    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
            return new StoredSecret(name, file.toAbsolutePath().toString());
        } catch (IOException e) {
            throw new BrokerException("could not write the credential file " + file + ": " + e.getClass().getSimpleName());
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public SecretRemoval remove(String secretName, String roleName) {
        Path file = fileOf(secretName);
        try {
            Map<String, Object> content = json.readValue(Files.readAllBytes(file), Map.class);
            Object tags = content.get("tags");
            Object role = tags instanceof Map<?, ?> t ? t.get(SecretTags.ROLE) : null;
            if (!roleName.equals(role)) {
                return SecretRemoval.KEPT_FOR_NEWER;
            }
            Files.delete(file);
            return SecretRemoval.DELETED;
        } catch (NoSuchFileException e) {
            return SecretRemoval.ABSENT;
        } catch (IOException e) {
            throw new BrokerException("could not delete the credential file " + file + ": " + e.getClass().getSimpleName());
        }
    }

    /** Reads a stored secret's whole file (name, tags, value); for the demo and the requester CLI. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> read(String secretName) throws IOException {
        return json.readValue(Files.readAllBytes(fileOf(secretName)), Map.class);
    }
}
