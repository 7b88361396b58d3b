package io.pgephemeral.secrets;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.CredentialStore;
import io.pgephemeral.broker.IssuedCredential;
import io.pgephemeral.broker.ListedSecret;
import io.pgephemeral.broker.SecretRemoval;
import io.pgephemeral.broker.StoredSecret;
import io.pgephemeral.json.JsonTree;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Issued credentials as JSON files, for running the broker without AWS. Each file is created with
 * mode 0600 in a 0700 directory, written whole under a temporary name and moved into place, so a
 * reader never sees half a secret. The file holds the same value and tags Secrets Manager would.
 */
public final class LocalFileStore implements CredentialStore {

    private static final Logger LOG = LoggerFactory.getLogger(LocalFileStore.class);

    private final Path directory;
    private final SecretNames names;

    public LocalFileStore(Path directory, SecretNames names) {
        this.directory = directory;
        this.names = names;
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
    public StoredSecret store(IssuedCredential credential, String version) {
        String name = nameFor(credential.requester(), credential.target());
        Path file = fileOf(name);
        try {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Map<String, Object> content = new LinkedHashMap<>();
            content.put("name", name);
            content.put("version", version);
            content.put("tags", SecretTags.of(credential));
            content.put("value", SecretTags.value(credential));
            Map<String, Object> existing = readIfExists(file);
            if (existing != null && version.equals(existing.get("version"))) {
                return new StoredSecret(name, file.toAbsolutePath().toString());
            }
            if (existing != null) {
                // What it held before, for withdraw: as Secrets Manager keeps AWSPREVIOUS.
                existing.remove("previous");
                content.put("previous", existing);
            }
            write(file, content);
            return new StoredSecret(name, file.toAbsolutePath().toString());
        } catch (IOException e) {
            throw new BrokerException("could not write the credential file " + file + ": " + e.getClass().getSimpleName());
        }
    }

    @Override
    public SecretRemoval remove(String secretName, String version) {
        Path file = fileOf(secretName);
        try {
            Map<String, Object> content = readIfExists(file);
            SecretRemoval otherwise = unlessHolding(content, version);
            if (otherwise != null) {
                return otherwise;
            }
            Files.delete(file);
            return SecretRemoval.DELETED;
        } catch (NoSuchFileException e) {
            return SecretRemoval.ABSENT;
        } catch (IOException e) {
            throw new BrokerException("could not delete the credential file " + file + ": " + e.getClass().getSimpleName());
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public SecretRemoval withdraw(String secretName, String version) {
        Path file = fileOf(secretName);
        try {
            Map<String, Object> content = readIfExists(file);
            SecretRemoval otherwise = unlessHolding(content, version);
            if (otherwise != null) {
                return otherwise;
            }
            if (content.get("previous") instanceof Map<?, ?> previous) {
                write(file, (Map<String, Object>) previous);
                return SecretRemoval.RESTORED;
            }
            Files.delete(file);
            return SecretRemoval.DELETED;
        } catch (NoSuchFileException e) {
            return SecretRemoval.ABSENT;
        } catch (IOException e) {
            throw new BrokerException("could not undo the credential file " + file + ": " + e.getClass().getSimpleName());
        }
    }

    @Override
    public List<ListedSecret> list() {
        List<ListedSecret> out = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.json")) {
            for (Path file : files) {
                Map<String, Object> content;
                try {
                    content = readIfExists(file);
                } catch (NotASecretFile e) {
                    LOG.warn("{} is not a secret file of the broker's (not one JSON object with each key once);"
                            + " left out of the listing", file);
                    continue;
                }
                if (content == null || !(content.get("name") instanceof String name)) {
                    continue;
                }
                Object tags = content.get("tags");
                Object role = tags instanceof Map<?, ?> t ? t.get(SecretTags.ROLE) : null;
                out.add(new ListedSecret(name, (String) content.get("version"), (String) role,
                        Files.getLastModifiedTime(file).toInstant()));
            }
            return out;
        } catch (IOException e) {
            throw new BrokerException("could not list the credential files in " + directory + ": "
                    + e.getClass().getSimpleName());
        }
    }

    /** What to report instead of acting, when the file is gone or holds another credential than {@code version}'s. */
    private static SecretRemoval unlessHolding(Map<String, Object> content, String version) {
        if (content == null) {
            return SecretRemoval.ABSENT;
        }
        return version.equals(content.get("version")) ? null : SecretRemoval.KEPT_FOR_NEWER;
    }

    private Map<String, Object> readIfExists(Path file) throws IOException {
        try {
            return parse(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Whole under a temporary name, then moved into place: a reader never sees half a secret. */
    private void write(Path file, Map<String, Object> content) throws IOException {
        Path temp = Files.createTempFile(directory, ".secret-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(temp, JsonTree.bytes(content));
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Reads a stored secret's whole file (name, tags, value); for the demo and the requester CLI. */
    public Map<String, Object> read(String secretName) throws IOException {
        return parse(Files.readAllBytes(fileOf(secretName)));
    }

    private static Map<String, Object> parse(byte[] file) throws IOException {
        try {
            return JsonTree.readObject(file);
        } catch (JsonTree.Malformed e) {
            throw new NotASecretFile(); // the parser's words may quote the password the file holds
        }
    }

    /** A file in the store's directory that is not one JSON object; its name is what callers report. */
    private static final class NotASecretFile extends IOException {
    }
}
