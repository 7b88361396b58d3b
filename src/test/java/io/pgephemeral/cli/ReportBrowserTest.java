package io.pgephemeral.cli;

import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.ledger.LedgerEntry;
import io.pgephemeral.database.Sql;
import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.LedgerCopy;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The HTML report in a real browser: Debian's {@code chromium}, headless, with no network and no
 * profile. A week of a small team's access is written to a ledger of its own, the report is made
 * by the CLI in a JVM of its own as an auditor's login (ephemeral_auditor only, password in
 * PGPASSWORD), and Chromium must render it without a single console message (a script error or a
 * blocked fetch would be one) with one bar per credential in its DOM. The screenshot is left in
 * {@code target/ledger-report.png}; docs/auditors.md shows a copy of it (docs/ledger-report.png).
 *
 * <p>Tagged {@code browser}: README's test command needs nothing but JDK 17 and Maven, so this one
 * runs when asked ({@code mvn -Dgroups=browser -Dtest.excludedGroups= test}, as .ci/run does after
 * installing chromium), and then fails, never skips, if chromium is missing.
 */
@org.junit.jupiter.api.Tag("browser")
class ReportBrowserTest {

    private static final String[] PEOPLE = {"jane.doe", "sam.lee", "ana.silva", "li.wei", "omar.khan", "eva.novak",
            "tom.ito", "ruth.cohen"};
    private static final String[] APPROVERS = {"ops-lead@acme.example", "dba@acme.example", "eng-manager@acme.example"};
    private static final String[] TARGETS = {"readonly", "analytics", "orders_ro"};
    private static final String[] REASONS = {"INC-4711: orders missing totals", "quarterly report numbers",
            "CHG-2210 data fix", "support ticket SUP-381", "slow checkout queries"};

    @Test
    void theHtmlRendersInChromiumWithoutConsoleErrorsAndShowsEveryBar() throws Exception {
        String chromium = chromium();
        try (LedgerCopy ledger = new LedgerCopy()) {
            int credentials = sampleWeek(ledger);
            String auditor = "auditor_" + UUID.randomUUID().toString().substring(0, 6);
            String password = new PasswordGenerator().generate(24);
            Db.execute("CREATE ROLE " + Sql.ident(auditor) + " LOGIN PASSWORD " + Sql.literal(ScramVerifier.of(password,
                    new PasswordGenerator().randomBytes(16), ScramVerifier.DEFAULT_ITERATIONS)) + " IN ROLE ephemeral_auditor");
            Path dir = Files.createDirectories(Path.of("target"));
            Path html = dir.resolve("ledger-report.html").toAbsolutePath();
            try {
                Cli.Run run = Cli.run(Map.of("PGPASSWORD", password), "ledger", "report", "--user", auditor,
                        "--schema", ledger.schema(), "--since", "2026-03-02", "--until", "2026-03-09",
                        "--out", html.toString());
                assertEquals(0, run.exit(), run.toString());
            } finally {
                Db.execute("DROP ROLE " + Sql.ident(auditor));
            }

            Browser dom = browse(chromium, html, "--dump-dom");
            List<String> console = dom.stderr().lines().filter(l -> l.contains(":CONSOLE") || l.contains("Uncaught"))
                    .toList();
            assertEquals(List.of(), console, "the page logged to the console");
            assertEquals(credentials, LedgerReportTest.count(dom.stdout(), "class=\"bar "),
                    "one bar per credential in the rendered DOM");
            assertTrue(dom.stdout().contains("class=\"bar open\""), "open credentials are drawn differently");
            assertTrue(dom.stdout().contains("<title>"), "bars carry their hover text");
            assertFalse(dom.stdout().toLowerCase(java.util.Locale.ROOT).contains("<script"), "no script in the DOM");

            Path png = dir.resolve("ledger-report.png").toAbsolutePath();
            Files.deleteIfExists(png);
            Browser shot = browse(chromium, html, "--screenshot=" + png, "--window-size=1400,2000");
            assertTrue(Files.exists(png), "no screenshot: " + shot.stderr());
            byte[] bytes = Files.readAllBytes(png);
            assertTrue(bytes.length > 20_000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G',
                    "a PNG with something on it, " + bytes.length + " bytes");
        }
    }

    /** Where chromium is; the test fails, never skips, without it. */
    static String chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                File f = new File(dir, name);
                if (f.canExecute()) {
                    return f.getPath();
                }
            }
        }
        return fail("chromium is not installed: the report's browser test needs Debian's chromium package"
                + " (apt-get install -y chromium; .ci/run installs it)");
    }

    record Browser(String stdout, String stderr) {
    }

    static Browser browse(String chromium, Path html, String... what) throws Exception {
        Path profile = Files.createTempDirectory("chromium-profile");
        Path out = Files.createTempFile("chromium", ".out");
        Path err = Files.createTempFile("chromium", ".err");
        List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0"));
        command.addAll(List.of(what));
        command.add(html.toUri().toString());
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish within 120 s");
        }
        Browser b = new Browser(Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        try (var files = Files.walk(profile)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        assertEquals(0, p.exitValue(), "chromium failed: " + b.stderr());
        return b;
    }

    /**
     * A week of a small team: mostly ordinary working-hours access, and one of each thing an
     * auditor must see (self-approval, a grant at the maximum, a night and a weekend, a credential
     * ended late, failures, a reconciled one, a disabled role, one still open, a hostile reason).
     * Returns how many credentials it holds.
     */
    static int sampleWeek(LedgerCopy ledger) {
        SplittableRandom random = new SplittableRandom(15);
        int n = 0;
        Instant monday = Instant.parse("2026-03-02T00:00:00Z");
        for (int day = 0; day < 5; day++) {
            for (int i = 0; i < 6; i++) {
                String person = PEOPLE[random.nextInt(PEOPLE.length)];
                Instant at = monday.plus(Duration.ofDays(day)).plus(Duration.ofMinutes(8 * 60 + random.nextInt(8 * 60)));
                long minutes = new long[] {30, 60, 60, 120}[random.nextInt(4)];
                LedgerEntry c = request(ledger, person + "@acme.example", APPROVERS[random.nextInt(APPROVERS.length)],
                        TARGETS[random.nextInt(TARGETS.length)], REASONS[random.nextInt(REASONS.length)], at,
                        Duration.ofMinutes(minutes));
                issue(ledger, c);
                if (random.nextInt(3) == 0) {
                    ledger.append(c.next(LedgerEntry.EXPIRED, c.validUntil().plusSeconds(20), "pg-ephemeral",
                            "expired at " + c.validUntil() + ": role dropped, 0 session(s) terminated, secret deleted"));
                } else {
                    ledger.append(c.next(LedgerEntry.REVOKED, at.plus(Duration.ofMinutes(minutes / 2)), c.requester(),
                            "manual end: role dropped, 1 session(s) terminated, secret deleted"));
                }
                n++;
            }
        }
        // Self-approved.
        LedgerEntry self = request(ledger, "omar.khan@acme.example", "omar.khan@acme.example", "orders_ro",
                "urgent fix, approving myself", monday.plus(Duration.ofHours(35)), Duration.ofHours(1));
        issue(ledger, self);
        ledger.append(self.next(LedgerEntry.REVOKED, self.recordedAt().plus(Duration.ofMinutes(40)), "omar.khan@acme.example",
                "manual end: role dropped, 0 session(s) terminated, secret deleted"));
        // The maximum, over a night, ended 25 minutes late with sessions still open.
        LedgerEntry night = request(ledger, "li.wei@acme.example", "dba@acme.example", "analytics", "overnight backfill",
                monday.plus(Duration.ofHours(2 * 24 + 20)), Duration.ofHours(12));
        issue(ledger, night);
        ledger.append(night.next(LedgerEntry.EXPIRED, night.validUntil().plus(Duration.ofMinutes(25)), "pg-ephemeral",
                "expired at " + night.validUntil() + ": role dropped, 3 session(s) terminated, secret deleted"));
        // Saturday.
        LedgerEntry saturday = request(ledger, "eva.novak@acme.example", "ops-lead@acme.example", "readonly",
                "weekend on-call: INC-4790", monday.plus(Duration.ofHours(5 * 24 + 11)), Duration.ofHours(2));
        issue(ledger, saturday);
        ledger.append(saturday.next(LedgerEntry.REVOKED, saturday.recordedAt().plus(Duration.ofMinutes(70)),
                "eva.novak@acme.example", "manual end: role dropped, 1 session(s) terminated, secret deleted"));
        // Failed twice, then a retry that worked is among the ordinary ones.
        for (int i = 0; i < 2; i++) {
            LedgerEntry failed = request(ledger, "sam.lee@acme.example", "ops-lead@acme.example", "readonly",
                    "CHG-2231", monday.plus(Duration.ofHours(3 * 24 + 9)).plusSeconds(i * 120L), Duration.ofHours(1));
            ledger.append(failed.next(LedgerEntry.FAILED, failed.recordedAt().plusSeconds(3), "pg-ephemeral",
                    "could not create role: canceling statement due to lock timeout"));
        }
        // Reconciled: the role outlived its credential.
        LedgerEntry outlived = request(ledger, "ana.silva@acme.example", "eng-manager@acme.example", "analytics",
                "dashboard check", monday.plus(Duration.ofHours(24 + 14)), Duration.ofHours(1));
        issue(ledger, outlived);
        ledger.append(outlived.next(LedgerEntry.REVOKED, outlived.recordedAt().plus(Duration.ofMinutes(30)),
                "ana.silva@acme.example", "manual end: role dropped, 0 session(s) terminated, secret deleted"));
        ledger.append(outlived.next(LedgerEntry.RECONCILED, outlived.recordedAt().plus(Duration.ofMinutes(31)),
                "pg-ephemeral", "the role outlived its credential (revoked)"));
        // Disabled: the role owns objects; the ledger records no removal since.
        LedgerEntry disabled = request(ledger, "tom.ito@acme.example", "dba@acme.example", "orders_ro",
                "create a scratch table for CHG-2240", monday.plus(Duration.ofHours(4 * 24 + 10)), Duration.ofHours(1));
        issue(ledger, disabled);
        ledger.append(disabled.next(LedgerEntry.DISABLED, disabled.validUntil().plusSeconds(40), "pg-ephemeral",
                "expired: role disabled (it owns objects), 0 session(s) terminated, secret deleted"));
        // Still open at the end of the week, and a reason written to attack the report.
        LedgerEntry open = request(ledger, "ruth.cohen@acme.example", "ops-lead@acme.example", "readonly",
                "<script>console.error('pwned')</script>\"><img src=x onerror=alert(1)> [x](javascript:alert(1))",
                monday.plus(Duration.ofHours(6 * 24 + 20)), Duration.ofDays(2));
        issue(ledger, open);
        return n + 8;
    }

    private static LedgerEntry request(LedgerCopy ledger, String requester, String approver, String target,
                                       String reason, Instant at, Duration grant) {
        String local = requester.substring(0, requester.indexOf('@')).replace('.', '_');
        return ledger.append(new LedgerEntry(null, UUID.randomUUID(), Events.newRunId(), 1, LedgerEntry.REQUESTED, at,
                requester, approver, reason, target, "eph_" + local + "_" + UUID.randomUUID().toString().substring(0, 8),
                "pg-ephemeral/" + requester + "/" + target, at.plus(grant), approver, null));
    }

    private static void issue(LedgerCopy ledger, LedgerEntry requested) {
        ledger.append(requested.next(LedgerEntry.ISSUED, requested.recordedAt().plusSeconds(2), requested.approver(), null));
    }
}
