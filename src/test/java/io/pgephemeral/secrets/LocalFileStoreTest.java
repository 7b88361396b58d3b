package io.pgephemeral.secrets;

import io.pgephemeral.broker.Endpoint;
import io.pgephemeral.broker.IssuedCredential;
import io.pgephemeral.broker.SecretRemoval;
import io.pgephemeral.broker.StoredSecret;
import io.pgephemeral.crypto.Password;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalFileStoreTest {

    @TempDir
    Path dir;

    private IssuedCredential credential(String role) {
        return new IssuedCredential("jane.doe@acme.example", "readonly", role, new Password("p".repeat(32)),
                new Endpoint("db.internal", 5432, "app"), Instant.parse("2026-11-23T10:00:00Z"));
    }

    @Test
    void secretsAreReadableByTheOwnerOnlyAndLookLikeSecretsManagers() throws Exception {
        Path secrets = dir.resolve("secrets");
        LocalFileStore store = new LocalFileStore(secrets, new SecretNames("pg-ephemeral/"));
        StoredSecret stored = store.store(credential("eph_a"), "token-1");
        Path file = Path.of(stored.location());
        assertEquals("pg-ephemeral/jane.doe@acme.example/readonly", stored.name());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets)));
        Map<?, ?> value = (Map<?, ?>) store.read(stored.name()).get("value");
        assertEquals("postgres", value.get("engine"));
        assertEquals("db.internal", value.get("host"));
        assertEquals(5432, ((Number) value.get("port")).intValue());
        assertEquals("app", value.get("dbname"));
        assertEquals("eph_a", value.get("username"));
        assertEquals("2026-11-23T10:00:00Z", value.get("expires_at"));
        try (var listing = Files.list(secrets)) {
            assertEquals(1, listing.count(), "no temporary files left behind");
        }
    }

    @Test
    void removeDeletesOnlyTheCredentialItWasAskedFor() throws Exception {
        LocalFileStore store = new LocalFileStore(dir, new SecretNames("pg-ephemeral/"));
        String name = store.store(credential("eph_old"), "t1").name();
        store.store(credential("eph_new"), "t2");
        assertEquals(SecretRemoval.KEPT_FOR_NEWER, store.remove(name, "t1"));
        assertTrue(Files.exists(store.fileOf(name)));
        assertEquals(SecretRemoval.DELETED, store.remove(name, "t2"));
        assertFalse(Files.exists(store.fileOf(name)));
        assertEquals(SecretRemoval.ABSENT, store.remove(name, "t2"));
    }

    @Test
    void withdrawGivesTheSecretBackTheCredentialItHeldBefore() throws Exception {
        LocalFileStore store = new LocalFileStore(dir, new SecretNames("pg-ephemeral/"));
        String name = store.store(credential("eph_old"), "t1").name();
        store.store(credential("eph_new"), "t2");
        assertEquals(SecretRemoval.KEPT_FOR_NEWER, store.withdraw(name, "t1"), "only the failed write is undone");
        assertEquals(SecretRemoval.RESTORED, store.withdraw(name, "t2"));
        assertEquals("eph_old", ((Map<?, ?>) store.read(name).get("value")).get("username"));
        assertEquals(List.of("t1"), store.list().stream().map(s -> s.version()).toList());
        assertEquals(SecretRemoval.DELETED, store.withdraw(name, "t1"), "nothing before the first write");
        assertEquals(List.of(), store.list());
    }

    /**
     * A file in the store's directory that is not one of its secrets (not JSON, a key twice) is
     * left out of the listing: the sweep's clean-up of stray secrets goes on for the others.
     */
    @Test
    void aFileThatIsNotASecretIsLeftOutOfTheListing() throws Exception {
        LocalFileStore store = new LocalFileStore(dir, new SecretNames("pg-ephemeral/"));
        store.store(credential("eph_kept"), "t1");
        Files.writeString(dir.resolve("notes.json"), "not json");
        Files.writeString(dir.resolve("twice.json"), "{\"name\": \"a\", \"name\": \"b\"}");
        assertEquals(List.of("eph_kept"), store.list().stream().map(s -> s.roleName()).toList());
    }

    /**
     * Names only use characters Secrets Manager allows: a requester with others is refused, not
     * rewritten (rewriting gave o'brien/x the secret of o_brien_x; see RequesterNamesTest).
     */
    @Test
    void namesOnlyUseCharactersSecretsManagerAllows() {
        SecretNames names = new SecretNames("pg-ephemeral/");
        assertEquals("pg-ephemeral/o.brien+x@acme.example/readonly", names.of("o.brien+x@acme.example", "readonly"));
        org.junit.jupiter.api.Assertions.assertThrows(io.pgephemeral.broker.RequestRefused.class,
                () -> names.of("o'brien/x@acme.example", "readonly"));
    }
}
