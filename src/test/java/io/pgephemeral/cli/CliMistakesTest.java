package io.pgephemeral.cli;

import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mistakes a new user makes at the command line, each seen answered poorly: the answer is one line
 * that says what happened and what to do. In-process, with the environment each case needs.
 */
class CliMistakesTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static Path aws;

    @BeforeAll
    static void emptyAwsSetUp() throws Exception {
        aws = Files.createTempDirectory("aws-home");
        Files.writeString(aws.resolve("config"), "[profile empty]\nregion = eu-west-1\n");
        Files.writeString(aws.resolve("credentials"), "");
    }

    @AfterAll
    static void removeIt() throws Exception {
        Files.deleteIfExists(aws.resolve("config"));
        Files.deleteIfExists(aws.resolve("credentials"));
        Files.deleteIfExists(aws);
    }

    /** No AWS credentials anywhere the SDK looks: no keys, no profile, no instance metadata. */
    private static Map<String, String> noAws() {
        Map<String, String> e = new HashMap<>();
        for (String name : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_WEB_IDENTITY_TOKEN_FILE")) {
            e.put(name, null);
        }
        e.put("AWS_CONFIG_FILE", aws.resolve("config").toString());
        e.put("AWS_SHARED_CREDENTIALS_FILE", aws.resolve("credentials").toString());
        e.put("AWS_EC2_METADATA_DISABLED", "true");
        return e;
    }

    private static String oneLine(Cli.Run run) {
        List<String> lines = run.stderr().lines().toList();
        assertEquals(1, lines.size(), "one line: " + run);
        assertFalse(run.stderr().contains("\tat "), run.toString());
        return lines.get(0);
    }

    private static String responseError(Cli.Run run) throws Exception {
        List<String> lines = run.stdout().lines().toList();
        assertEquals(1, lines.size(), run.toString());
        Map<String, Object> response = env.json().readValue(lines.get(0), TestEnvironment.MAP);
        List<?> errors = (List<?>) response.get("errors");
        assertEquals(1, errors.size(), run.toString());
        return (String) errors.get(0);
    }

    @Test
    void invokeOfAFileThatIsNotThereSaysSo() throws Exception {
        Path missing = Path.of(System.getProperty("java.io.tmpdir"), "no-such-event-" + System.nanoTime() + ".json");
        Cli.Run run = Cli.run(Map.of(), "invoke", missing.toString());
        assertEquals(1, run.exit(), run.toString());
        assertEquals("no such file: " + missing + " (give the path of a Sym event JSON file, or - to read it from"
                + " standard input)", responseError(run));

        Cli.Run directory = Cli.run(Map.of(), "invoke", System.getProperty("java.io.tmpdir"));
        assertEquals(1, directory.exit(), directory.toString());
        assertTrue(responseError(directory).endsWith(": it is a directory, not a file"), directory.toString());
    }

    /**
     * At a terminal, {@code invoke} without a file says it is reading standard input before it
     * waits; piped, it reads in silence as before. (Whether the real standard input is a terminal
     * is {@link ProcessEnvironment#stdinIsTerminal}'s answer, which needs a real terminal to show.)
     */
    @Test
    void invokeWithoutAFileSaysItReadsStandardInputOnlyAtATerminal() throws Exception {
        byte[] event = env.json().writeValueAsBytes(
                Events.escalate(Events.newRunId(), "stdin@acme.example", "not-a-target", 60));
        List<String> rolesBefore = Db.managedRoles();

        Cli.Run typed = Cli.run(Map.of(), new ByteArrayInputStream(event), true, "invoke");
        assertEquals("invoke: reading a Sym event (JSON) from standard input; end it with Ctrl-D, or press Ctrl-C and"
                + " give a file: pg-ephemeral invoke EVENT.json", oneLine(typed));
        assertTrue(responseError(typed).contains("not on the broker's allow-list"), typed.toString());

        Cli.Run piped = Cli.run(Map.of(), new ByteArrayInputStream(event), false, "invoke", "-");
        assertEquals("", piped.stderr(), piped.toString());
        assertTrue(responseError(piped).contains("not on the broker's allow-list"), piped.toString());
        assertEquals(rolesBefore, Db.managedRoles());
    }

    @Test
    void credsWithoutAwsCredentialsSaysHowToGetThem() {
        String expected = "creds: no AWS credentials found: run `aws sso login --profile NAME` and give --profile NAME"
                + " or set AWS_PROFILE=NAME (`aws configure list-profiles` lists yours)";
        Cli.Run run = Cli.run(noAws(), "creds", "readonly");
        assertEquals(1, run.exit(), run.toString());
        assertEquals(expected, oneLine(run));
        // --requester names you; it does not give you credentials, and is not suggested for that.
        Cli.Run named = Cli.run(noAws(), "creds", "readonly", "--requester", "jane@acme.example");
        assertEquals(1, named.exit(), named.toString());
        assertEquals(expected, oneLine(named));
        assertEquals("", run.stdout() + named.stdout());
    }

    @Test
    void credsWithAProfileThatIsNotThereSaysSo() {
        String files = aws.resolve("config") + " or " + aws.resolve("credentials");
        Cli.Run option = Cli.run(noAws(), "creds", "readonly", "--profile", "nosuch");
        assertEquals(1, option.exit(), option.toString());
        assertEquals("creds: profile 'nosuch' (--profile) is not in " + files + ": `aws configure list-profiles`"
                + " lists yours, `aws configure sso --profile nosuch` adds it", oneLine(option));

        Map<String, String> variable = noAws();
        variable.put("AWS_PROFILE", "nosuch");
        Cli.Run fromEnv = Cli.run(variable, "creds", "readonly");
        assertEquals(1, fromEnv.exit(), fromEnv.toString());
        assertTrue(oneLine(fromEnv).startsWith("creds: profile 'nosuch' (AWS_PROFILE) is not in " + files), fromEnv.toString());

        Cli.Run empty = Cli.run(noAws(), "creds", "readonly", "--profile", "empty");
        assertEquals(1, empty.exit(), empty.toString());
        assertEquals("creds: profile 'empty' gave no AWS credentials: run `aws sso login --profile empty` (or `aws"
                + " configure --profile empty` for access keys)", oneLine(empty));
    }

    @Test
    void credsWithoutARegionSaysHowToGiveOne() {
        Map<String, String> noRegion = noAws();
        noRegion.put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        noRegion.put("AWS_SECRET_ACCESS_KEY", "example");
        noRegion.put("AWS_REGION", null);
        Cli.Run run = Cli.run(noRegion, "creds", "readonly");
        assertEquals(1, run.exit(), run.toString());
        assertEquals("creds: no AWS region: give --region (e.g. --region us-east-1), set AWS_REGION, or put region"
                + " in your AWS profile", oneLine(run));
    }

    /** The ledger's host and port, so that the operator knows which setting to look at; never the password. */
    @Test
    void anUnreachableLedgerIsNamedByHostAndPort() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Map<String, String> unreachable = Map.of("BROKER_LEDGER_URL", "jdbc:postgresql://127.0.0.1:" + closed + "/ledger",
                "BROKER_INVOCATION_TIMEOUT", "3s");
        Cli.Run run = Cli.run(unreachable, "sweep");
        assertEquals(1, run.exit(), run.toString());
        String error = responseError(run);
        assertEquals("the ledger is unavailable: cannot connect to 127.0.0.1:" + closed + " (Connection refused):"
                + " check BROKER_LEDGER_URL (or BROKER_DB_URL) and that PostgreSQL accepts connections there", error);
        assertFalse(run.stdout().contains(env.botPassword()) || run.stderr().contains(env.botPassword()));
    }

    /** The ledger commands too: pgjdbc's own words for an unknown host are "The connection attempt failed." */
    @Test
    void anUnreachableLedgerForTheAuditCommandsIsNamedByHostAndPort() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Cli.Run refused = Cli.run(Map.of("PGPASSWORD", "not-this-one"), "ledger", "list", "--url",
                "jdbc:postgresql://127.0.0.1:" + closed + "/ledger", "--user", "auditor");
        assertEquals(2, refused.exit(), refused.toString());
        assertEquals("ledger list: cannot connect to 127.0.0.1:" + closed + " (Connection refused): check --url, and"
                + " that PostgreSQL accepts connections there", oneLine(refused));

        Cli.Run unknown = Cli.run(Map.of("BROKER_LEDGER_URL", "jdbc:postgresql://ledger.invalid:6432/ledger",
                "BROKER_DB_TLS", "insecure-allow-unverified"), "ledger", "verify");
        assertEquals(2, unknown.exit(), unknown.toString());
        // Below the warning that BROKER_DB_TLS=insecure-allow-unverified always logs.
        List<String> lines = unknown.stderr().lines().toList();
        assertEquals(2, lines.size(), unknown.toString());
        assertTrue(lines.get(0).contains("WARN  DatabaseTls - BROKER_DB_TLS=insecure-allow-unverified"), unknown.toString());
        assertEquals("ledger verify: cannot connect to ledger.invalid:6432 (unknown host): check BROKER_LEDGER_URL"
                + " (or BROKER_DB_URL), or give --url, and that PostgreSQL accepts connections there", lines.get(1));
        assertFalse((refused.stderr() + unknown.stderr()).contains("not-this-one"));
        assertFalse(unknown.stderr().contains(env.botPassword()));
    }

    @Test
    void aMistypedCommandIsNamedAsNotACommandWithTheCommandsListed() {
        Cli.Run escalate = Cli.run(Map.of(), "escalate");
        assertEquals(2, escalate.exit(), escalate.toString());
        assertEquals("pg-ephemeral: 'escalate' is not a command (a Sym escalate event is run with: pg-ephemeral invoke"
                + " EVENT.json); the commands are invoke, sweep, migrate, ledger, creds (see 'pg-ephemeral --help')",
                oneLine(escalate));
        assertEquals("", escalate.stdout());

        Cli.Run ledger = Cli.run(Map.of(), "ledger", "lst");
        assertEquals(2, ledger.exit(), ledger.toString());
        assertEquals("pg-ephemeral ledger: 'lst' is not a command; the commands are list, show, export, verify, report"
                + " (see 'pg-ephemeral ledger --help')", oneLine(ledger));

        Cli.Run option = Cli.run(Map.of(), "creds", "readonly", "--profle", "x");
        assertEquals(2, option.exit(), option.toString());
        assertTrue(oneLine(option).startsWith("pg-ephemeral creds: unknown option '--profle'; did you mean --profile?"),
                option.toString());
    }
}
