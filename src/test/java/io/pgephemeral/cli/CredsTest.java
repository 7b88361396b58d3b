package io.pgephemeral.cli;

import io.pgephemeral.sym.SymResponse;
import io.pgephemeral.testing.Broker;
import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.FakeSts;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code creds}: from an approved request to a working connection, through the real SDK against
 * the fake Secrets Manager and STS, with the requester's identity taken from their SSO session.
 */
class CredsTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static FakeSts sts;
    private static Broker broker;
    private static String jane;
    private static String role;
    private static String password;
    private static final String JANE_KEY = "AKIDJANESSO";

    @BeforeAll
    static void janeIsApproved() throws Exception {
        sts = new FakeSts();
        jane = "jane." + UUID.randomUUID().toString().substring(0, 6) + "@acme.example";
        sts.caller(JANE_KEY, "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Engineers_0123456789abcdef/" + jane);
        sts.caller("AKIDIAMUSER", "arn:aws:iam::123456789012:user/build-bot");
        broker = new Broker();
        SymResponse issued = broker.handle(Events.escalate(Events.newRunId(), jane, "readonly", 900));
        assertEquals(List.of(), issued.errors());
        role = (String) issued.body().get("role");
        Map<?, ?> value = env.json().readValue(env.secretsManager().secret((String) issued.body().get("secret_id"))
                .currentValue(), Map.class);
        password = (String) value.get("password");
    }

    @AfterAll
    static void stop() {
        broker.close();
        sts.close();
    }

    /** In-process: the AWS_ variables reach the SDK as its system properties, for this call only. */
    private static Cli.Run creds(Map<String, String> extraEnv, String... args) throws Exception {
        return creds(false, extraEnv, args);
    }

    private static Cli.Run creds(boolean ownJvm, Map<String, String> extraEnv, String... args) throws Exception {
        Map<String, String> e = new HashMap<>(Map.of("AWS_ACCESS_KEY_ID", JANE_KEY,
                "AWS_ENDPOINT_URL_STS", sts.endpoint().toString()));
        e.putAll(extraEnv);
        List<String> all = new ArrayList<>(List.of("creds"));
        all.addAll(List.of(args));
        String[] command = all.toArray(String[]::new);
        Cli.Run run = ownJvm ? Cli.jvm(e, command) : Cli.run(e, command);
        assertFalse(run.stderr().contains(password), "the password is never on stderr");
        return run;
    }

    @Test
    void theDefaultUriIsAWorkingConnectionForTheCallerFromTheirSsoSession() throws Exception {
        Cli.Run run = creds(Map.of(), "readonly");
        assertEquals(0, run.exit(), run.toString());
        String uri = run.stdout().strip();
        assertTrue(uri.startsWith("postgresql://" + role + ":"), uri);
        assertTrue(run.stderr().contains("valid until "), run.stderr());
        Map<String, String> parts = parseUri(uri);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + parts.get("host") + ":" + parts.get("port")
                + "/" + parts.get("dbname"), parts.get("user"), parts.get("password"));
             ResultSet r = c.createStatement().executeQuery("SELECT current_user")) {
            r.next();
            assertEquals(role, r.getString(1));
        }
    }

    /**
     * In a JVM of its own: the command inherits the process's standard output, and its exit
     * status becomes the JVM's.
     */
    @Test
    void execRunsTheCommandWithTheLibpqVariablesAndNoPasswordInItsArguments() throws Exception {
        Cli.Run run = creds(true, Map.of(), "readonly", "--exec", "--", "sh", "-c",
                "printf '%s\\n' \"$PGHOST\" \"$PGPORT\" \"$PGDATABASE\" \"$PGUSER\" \"$PGPASSWORD\"; exit 7");
        assertEquals(7, run.exit(), "the command's own exit status: " + run);
        List<String> lines = run.stdout().lines().toList();
        assertEquals(5, lines.size(), run.toString());
        assertEquals(role, lines.get(3));
        assertEquals(password, lines.get(4));
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + lines.get(0) + ":" + lines.get(1) + "/"
                + lines.get(2), lines.get(3), lines.get(4))) {
            assertTrue(c.isValid(2));
        }
        Cli.Run missing = creds(Map.of(), "readonly", "--exec", "no-such-command-here");
        assertEquals(127, missing.exit(), missing.toString());
    }

    @Test
    void everyFormatSurvivesAwkwardCharacters() throws Exception {
        String who = "odd." + UUID.randomUUID().toString().substring(0, 6) + "@acme.example";
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("engine", "postgres");
        value.put("host", "db.internal");
        value.put("port", 6543);
        value.put("dbname", "sales:eu/ü 'q'");
        value.put("username", "eph_odd");
        value.put("password", "p'a:s\\s@/%?#& \"x\"$HOME`id`");
        value.put("expires_at", Instant.now().plus(1, ChronoUnit.HOURS).toString());
        value.put("target", "weird");
        putSecret("pg-ephemeral/" + who + "/weird", value);

        Map<String, String> expected = Map.of("host", "db.internal", "port", "6543", "dbname", "sales:eu/ü 'q'",
                "user", "eph_odd", "password", (String) value.get("password"));
        Cli.Run uri = creds(Map.of(), "weird", "--requester", who);
        assertEquals(0, uri.exit(), uri.toString());
        assertEquals(expected, parseUri(uri.stdout().strip()));

        Cli.Run envFormat = creds(Map.of(), "weird", "--requester", who, "--format", "env");
        ProcessBuilder shell = new ProcessBuilder("sh", "-c", "eval \"$1\"; printf '%s\\n' \"$PGHOST\" \"$PGPORT\""
                + " \"$PGDATABASE\" \"$PGUSER\" \"$PGPASSWORD\"", "sh", envFormat.stdout());
        shell.environment().remove("PGPASSWORD");
        Process p = shell.start();
        List<String> evaluated = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, p.waitFor());
        assertEquals(List.of("db.internal", "6543", "sales:eu/ü 'q'", "eph_odd", value.get("password")), evaluated);

        Cli.Run pgpass = creds(Map.of(), "weird", "--requester", who, "--format", "pgpass");
        assertEquals(List.of("db.internal", "6543", "sales:eu/ü 'q'", "eph_odd", value.get("password")),
                pgpassFields(pgpass.stdout().strip()));

        Cli.Run json = creds(Map.of(), "weird", "--requester", who, "--format", "json");
        Map<String, Object> parsed = env.json().readValue(json.stdout(), TestEnvironment.MAP);
        assertEquals(value.get("password"), parsed.get("password"));
        assertEquals(6543, ((Number) parsed.get("port")).intValue());
        assertEquals(value.get("expires_at"), parsed.get("expires_at"));
    }

    @Test
    void saysSoWhenThereIsNoCredentialItExpiredOrAccessIsDenied() throws Exception {
        Cli.Run none = creds(Map.of(), "analytics");
        assertEquals(1, none.exit(), none.toString());
        assertEquals("creds: no credential for " + jane + " on target 'analytics' (no secret pg-ephemeral/" + jane
                + "/analytics): request access in Sym first\n", none.stderr());
        assertEquals("", none.stdout());

        String late = "late." + UUID.randomUUID().toString().substring(0, 6) + "@acme.example";
        String expiredAt = "2026-01-02T03:04:05Z";
        putSecret("pg-ephemeral/" + late + "/readonly", Map.of("engine", "postgres", "host", "h", "port", 5432,
                "dbname", "d", "username", "u", "password", "secret-pw", "expires_at", expiredAt, "target", "readonly"));
        Cli.Run expired = creds(Map.of(), "readonly", "--requester", late);
        assertEquals(1, expired.exit(), expired.toString());
        assertTrue(expired.stderr().contains("expired at " + expiredAt), expired.toString());
        assertFalse(expired.stdout().contains("secret-pw"));

        env.secretsManager().failNext("GetSecretValue", 1, 400, "AccessDeniedException");
        Cli.Run denied = creds(Map.of(), "readonly");
        assertEquals(1, denied.exit(), denied.toString());
        assertTrue(denied.stderr().startsWith("creds: access denied reading secret pg-ephemeral/" + jane + "/readonly"),
                denied.toString());
        assertEquals(1, denied.stderr().lines().filter(l -> l.startsWith("creds:")).count());
    }

    @Test
    void aCallerWhoseIdentityIsNotAnEmailMustSayWhoTheyAre() throws Exception {
        Cli.Run run = creds(Map.of("AWS_ACCESS_KEY_ID", "AKIDIAMUSER"), "readonly");
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stderr().contains("arn:aws:iam::123456789012:user/build-bot")
                && run.stderr().contains("--requester"), run.toString());
        Cli.Run named = creds(Map.of("AWS_ACCESS_KEY_ID", "AKIDIAMUSER"), "readonly", "--requester", jane);
        assertEquals(0, named.exit(), named.toString());
    }

    @Test
    void worksWithTheLocalStore() throws Exception {
        Path dir = Files.createTempDirectory("creds-local");
        String local = "local." + UUID.randomUUID().toString().substring(0, 6) + "@acme.example";
        try (Broker localBroker = new Broker(Map.of("broker.secret-store", "local", "broker.secret-dir", dir.toString()))) {
            assertEquals(List.of(), localBroker.handle(Events.escalate(Events.newRunId(), local, "readonly", 600)).errors());
        }
        Map<String, String> localEnv = Map.of("BROKER_SECRET_STORE", "local", "BROKER_SECRET_DIR", dir.toString());
        Cli.Run run = Cli.run(localEnv, "creds", "readonly", "--requester", local);
        assertEquals(0, run.exit(), run.toString());
        Map<String, String> parts = parseUri(run.stdout().strip());
        try (Connection c = DriverManager.getConnection(env.jdbcUrl(), parts.get("user"), parts.get("password"))) {
            assertTrue(c.isValid(2));
        }
        Cli.Run anonymous = Cli.run(localEnv, "creds", "readonly");
        assertEquals(2, anonymous.exit(), anonymous.toString());
        assertEquals("creds: --requester is required with the local store\n", anonymous.stderr());
    }

    @Test
    void badInputIsOneLine() throws Exception {
        for (List<String> args : List.of(List.of("readonly", "--format", "yaml"), List.of("readonly", "psql"),
                List.of("readonly", "--exec"))) {
            Cli.Run run = creds(Map.of(), args.toArray(String[]::new));
            assertEquals(2, run.exit(), args + ": " + run);
            assertEquals(1, run.stderr().lines().count(), args + ": " + run);
            assertEquals("", run.stdout());
        }
    }

    private static void putSecret(String name, Map<String, Object> value) throws Exception {
        try (SecretsManagerClient client = SecretsManagerClient.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build()) {
            client.createSecret(b -> {
                try {
                    b.name(name).secretString(env.json().writeValueAsString(value));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    /** Reads a postgresql:// URI the way libpq does: percent-decoding each part. */
    static Map<String, String> parseUri(String uri) {
        URI u = URI.create(uri);
        assertEquals("postgresql", u.getScheme());
        String[] userInfo = u.getRawUserInfo().split(":", 2);
        return Map.of("host", u.getHost(), "port", Integer.toString(u.getPort()),
                "dbname", decode(u.getRawPath().substring(1)), "user", decode(userInfo[0]), "password", decode(userInfo[1]));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Splits a .pgpass line as libpq does: backslash escapes the next character, ':' separates. */
    static List<String> pgpassFields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                field.append(line.charAt(++i));
            } else if (c == ':') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
