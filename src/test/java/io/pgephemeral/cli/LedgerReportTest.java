package io.pgephemeral.cli;

import io.micronaut.configuration.picocli.MicronautFactory;
import io.micronaut.context.ApplicationContext;
import io.pgephemeral.ledger.LedgerEntry;
import io.pgephemeral.database.Sql;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.Events;
import io.pgephemeral.testing.LedgerCopy;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ledger report} against a ledger built here, in a schema of its own, by the real
 * {@link io.pgephemeral.ledger.LedgerChain}: each finding with a credential that must be flagged
 * and one just short of it, checked in the JSON the command writes (and the HTML where it is about
 * what people see). The command runs in this JVM, with the test environment's broker settings.
 *
 * <p>The period is the week from Monday 2026-03-02; working hours are the defaults, MON-FRI
 * 08:00-18:00 UTC. Each test has requesters of its own and reports on them alone (--requester).
 */
class LedgerReportTest {

    private static final TestEnvironment env = TestEnvironment.get();
    static final Instant MONDAY = Instant.parse("2026-03-02T00:00:00Z");
    private static final Instant TUESDAY_10 = Instant.parse("2026-03-03T10:00:00Z");
    private static LedgerCopy ledger;
    private static ApplicationContext context;

    @BeforeAll
    static void start() {
        ledger = new LedgerCopy();
        context = ApplicationContext.builder().properties(env.brokerProperties()).start();
    }

    @AfterAll
    static void stop() {
        context.close();
        ledger.close();
    }

    // ---- building the ledger ----

    static String person(String name) {
        return name + "." + UUID.randomUUID().toString().substring(0, 6) + "@acme.example";
    }

    /** A credential's rows: requested at {@code at}, granted {@code grant}, issued a second later. */
    static final class Credential {
        final LedgerEntry requested;
        final LedgerCopy copy;

        Credential(LedgerCopy copy, String requester, String approver, String target, String reason, Instant at,
                   Duration grant) {
            this.copy = copy;
            String local = requester.substring(0, requester.indexOf('@')).replaceAll("[^a-z0-9]", "_");
            requested = copy.append(new LedgerEntry(null, UUID.randomUUID(), Events.newRunId(), 1, LedgerEntry.REQUESTED,
                    at, requester, approver, reason, target, "eph_" + local + "_" + UUID.randomUUID().toString().substring(0, 6),
                    "pg-ephemeral/" + requester + "/" + target, at.plus(grant), approver, null));
        }

        Credential issued() {
            copy.append(requested.next(LedgerEntry.ISSUED, requested.recordedAt().plusSeconds(1), requested.approver(), null));
            return this;
        }

        Credential ended(String event, Instant at, String actor, String detail) {
            copy.append(requested.next(event, at, actor, detail));
            return this;
        }

        Credential revokedAfter(Duration d) {
            return ended(LedgerEntry.REVOKED, requested.recordedAt().plus(d), requested.requester(),
                    "manual end: role dropped, 0 session(s) terminated, secret deleted");
        }

        String id() {
            return requested.credentialId().toString();
        }

        String role() {
            return requested.roleName();
        }
    }

    static Credential credential(String requester, String approver, Instant at, Duration grant) {
        return new Credential(ledger, requester, approver, "readonly", "ticket OPS-1", at, grant);
    }

    /** An ordinary credential: a weekday morning, an hour granted, revoked after half. */
    static Credential ordinary(String requester, String approver, Instant at) {
        return credential(requester, approver, at, Duration.ofHours(1)).issued().revokedAfter(Duration.ofMinutes(30));
    }

    // ---- running the command ----

    record Result(int exit, String stderr, Path file) {
        String text() throws Exception {
            return Files.readString(file);
        }
    }

    /** {@code pg-ephemeral ledger report ...} in this JVM; the report goes to a file. */
    static Result report(String format, String... args) throws Exception {
        Path out = Files.createTempFile("report", "." + format);
        Files.delete(out);
        List<String> all = new ArrayList<>(List.of("ledger", "report", "--schema", ledger.schema(),
                "--since", "2026-03-02", "--until", "2026-03-09", "--format", format, "--out", out.toString()));
        all.addAll(List.of(args));
        return run(out, all.toArray(String[]::new));
    }

    static synchronized Result run(Path out, String... args) throws Exception {
        out.toFile().deleteOnExit();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int exit;
        try { // the factory is not closed: closing it would close the shared context
            exit = new CommandLine(Main.class, new MicronautFactory(context)).execute(args);
        } finally {
            System.setErr(err);
        }
        return new Result(exit, captured.toString(StandardCharsets.UTF_8), out);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(String... args) throws Exception {
        Result r = report("json", args);
        assertEquals(0, r.exit(), r.stderr());
        return env.json().readValue(r.text(), Map.class);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> finding(Map<String, Object> report, String id) {
        return ((List<Map<String, Object>>) report.get("findings")).stream().filter(f -> id.equals(f.get("id")))
                .findFirst().orElseThrow(() -> new AssertionError("no finding " + id));
    }

    /** The credential ids a finding lists, with why. */
    @SuppressWarnings("unchecked")
    static Map<String, String> flagged(Map<String, Object> report, String id) {
        Map<String, String> out = new HashMap<>();
        for (Map<String, Object> c : (List<Map<String, Object>>) finding(report, id).get("credentials")) {
            out.put((String) c.get("credential_id"), (String) c.get("why"));
        }
        return out;
    }

    static void assertAbsent(Map<String, Object> report, String id) {
        Map<String, Object> f = finding(report, id);
        assertEquals(false, f.get("present"), f.toString());
        assertEquals(0, ((Number) f.get("count")).intValue(), f.toString());
        assertEquals(List.of(), f.get("credentials"));
    }

    static void assertFlagged(Map<String, Object> report, String id, Credential... expected) {
        Map<String, Object> f = finding(report, id);
        assertEquals(true, f.get("present"), f.toString());
        assertEquals(expected.length, ((Number) f.get("count")).intValue(), f.toString());
        assertEquals(java.util.Arrays.stream(expected).map(Credential::id).collect(Collectors.toSet()),
                flagged(report, id).keySet(), f.toString());
    }

    // ---- self-approval ----

    @Test
    void selfApprovalIsAbsentWhenSomeoneElseApproved() throws Exception {
        String requester = person("sam");
        ordinary(requester, "lead@acme.example", TUESDAY_10);
        assertAbsent(json("--requester", requester), "self_approval");
    }

    @Test
    void selfApprovalIsFlaggedWhateverTheCase() throws Exception {
        String requester = person("sam");
        ordinary(requester, "lead@acme.example", TUESDAY_10);
        Credential self = ordinary(requester, requester.toUpperCase(java.util.Locale.ROOT), TUESDAY_10.plusSeconds(3600));
        Map<String, Object> report = json("--requester", requester);
        assertFlagged(report, "self_approval", self);
    }

    // ---- the same approver approving one requester again and again ----

    @Test
    void repeatedApprovalsAreAbsentAtTheThreshold() throws Exception {
        String requester = person("ria");
        for (int i = 0; i < 3; i++) {
            ordinary(requester, "dana@acme.example", TUESDAY_10.plus(Duration.ofHours(i)));
        }
        ordinary(requester, "other@acme.example", TUESDAY_10.plus(Duration.ofHours(5)));
        assertAbsent(json("--requester", requester, "--approvals", "3"), "repeated_approvals");
    }

    @Test
    @SuppressWarnings("unchecked")
    void repeatedApprovalsAboveTheThresholdListThePairAndItsCredentials() throws Exception {
        String requester = person("ria");
        List<Credential> dana = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            dana.add(ordinary(requester, "dana@acme.example", TUESDAY_10.plus(Duration.ofHours(i))));
        }
        ordinary(requester, "other@acme.example", TUESDAY_10.plus(Duration.ofHours(5)));
        Map<String, Object> report = json("--requester", requester, "--approvals", "3");
        assertFlagged(report, "repeated_approvals", dana.toArray(Credential[]::new));
        List<Map<String, Object>> pairs = (List<Map<String, Object>>) finding(report, "repeated_approvals").get("pairs");
        assertEquals(1, pairs.size(), pairs.toString());
        assertEquals("dana@acme.example", pairs.get(0).get("approver"));
        assertEquals(4, ((Number) pairs.get(0).get("approvals")).intValue());
    }

    // ---- durations at or near the maximum TTL ----

    @Test
    void durationsWellBelowTheMaximumAreNotFlagged() throws Exception {
        String requester = person("max");
        credential(requester, "lead@acme.example", TUESDAY_10, Duration.ofHours(7)).issued().revokedAfter(Duration.ofHours(1));
        assertAbsent(json("--requester", requester, "--max-ttl", "8h"), "near_max_ttl");
    }

    @Test
    void durationsNearTheMaximumAreFlagged() throws Exception {
        String requester = person("max");
        credential(requester, "lead@acme.example", TUESDAY_10, Duration.ofHours(7)).issued().revokedAfter(Duration.ofHours(1));
        Credential near = credential(requester, "lead@acme.example", TUESDAY_10.plus(Duration.ofHours(2)),
                Duration.ofMinutes(7 * 60 + 30)).issued().revokedAfter(Duration.ofHours(1));
        Map<String, Object> report = json("--requester", requester, "--max-ttl", "8h");
        assertFlagged(report, "near_max_ttl", near);
        assertTrue(flagged(report, "near_max_ttl").get(near.id()).contains("7h30m of at most 8h"),
                flagged(report, "near_max_ttl").toString());
    }

    // ---- access outside working hours ----

    @Test
    void accessWithinWorkingHoursIsNotFlagged() throws Exception {
        String requester = person("owl");
        ordinary(requester, "lead@acme.example", TUESDAY_10);
        // 17:40 to 17:52: within hours, however close to their end.
        credential(requester, "lead@acme.example", Instant.parse("2026-03-03T17:40:00Z"), Duration.ofHours(1)).issued()
                .revokedAfter(Duration.ofMinutes(12));
        assertAbsent(json("--requester", requester), "outside_working_hours");
    }

    @Test
    void accessOnAWeekendAtNightOrInAnotherZoneIsFlagged() throws Exception {
        String requester = person("owl");
        Credential saturday = ordinary(requester, "lead@acme.example", Instant.parse("2026-03-07T10:00:00Z"));
        Credential night = ordinary(requester, "lead@acme.example", Instant.parse("2026-03-04T23:10:00Z"));
        // Issued within hours, held until 19:30: more than the 15-minute grace outside them.
        Credential late = credential(requester, "lead@acme.example", Instant.parse("2026-03-05T17:00:00Z"),
                Duration.ofHours(3)).issued().revokedAfter(Duration.ofMinutes(150));
        Credential morning = ordinary(requester, "lead@acme.example", TUESDAY_10);
        Map<String, Object> report = json("--requester", requester);
        assertFlagged(report, "outside_working_hours", saturday, night, late);
        assertTrue(flagged(report, "outside_working_hours").get(late.id()).startsWith("1h30m held outside"),
                flagged(report, "outside_working_hours").toString());
        // 10:00 UTC is 19:00 in Tokyo: outside its working hours.
        Map<String, Object> tokyo = json("--requester", requester, "--time-zone", "Asia/Tokyo");
        assertTrue(flagged(tokyo, "outside_working_hours").containsKey(morning.id()), tokyo.toString());
    }

    // ---- credentials that outlived their valid_until ----

    @Test
    void credentialsEndedInTimeAreNotFlagged() throws Exception {
        String requester = person("late");
        Credential c = credential(requester, "lead@acme.example", TUESDAY_10, Duration.ofHours(1)).issued();
        c.ended(LedgerEntry.EXPIRED, TUESDAY_10.plus(Duration.ofMinutes(61)), "pg-ephemeral",
                "expired at 2026-03-03T11:00:00Z: role dropped, 0 session(s) terminated, secret deleted");
        assertAbsent(json("--requester", requester), "outlived_valid_until");
    }

    @Test
    void credentialsEndedLateAreFlaggedWithHowLateAndTheSessionsEnded() throws Exception {
        String requester = person("late");
        Credential late = credential(requester, "lead@acme.example", TUESDAY_10, Duration.ofHours(1)).issued();
        late.ended(LedgerEntry.EXPIRED, TUESDAY_10.plus(Duration.ofMinutes(80)), "pg-ephemeral",
                "expired at 2026-03-03T11:00:00Z: role dropped, 2 session(s) terminated, secret deleted");
        // Never ended at all: past valid_until at the period's end.
        Credential open = credential(requester, "lead@acme.example", TUESDAY_10.plus(Duration.ofHours(3)),
                Duration.ofHours(1)).issued();
        Map<String, Object> report = json("--requester", requester);
        assertFlagged(report, "outlived_valid_until", late, open);
        Map<String, String> why = flagged(report, "outlived_valid_until");
        assertEquals("ended 20m after valid_until, 2 session(s) terminated", why.get(late.id()));
        assertTrue(why.get(open.id()).contains("still not ended"), why.toString());
    }

    // ---- failed or reconciled credentials ----

    @Test
    void credentialsThatEndedNormallyAreNotFailedOrReconciled() throws Exception {
        String requester = person("fay");
        ordinary(requester, "lead@acme.example", TUESDAY_10);
        assertAbsent(json("--requester", requester), "failed_or_reconciled");
    }

    @Test
    void failedAndReconciledCredentialsAreFlagged() throws Exception {
        String requester = person("fay");
        ordinary(requester, "lead@acme.example", TUESDAY_10);
        Credential failed = credential(requester, "lead@acme.example", TUESDAY_10.plusSeconds(600), Duration.ofHours(1))
                .ended(LedgerEntry.FAILED, TUESDAY_10.plusSeconds(602), "pg-ephemeral", "could not create role: lock timeout");
        Credential outlived = ordinary(requester, "lead@acme.example", TUESDAY_10.plusSeconds(7200));
        outlived.ended(LedgerEntry.RECONCILED, TUESDAY_10.plusSeconds(9000), "pg-ephemeral",
                "the role outlived its credential (revoked)");
        Map<String, Object> report = json("--requester", requester);
        assertFlagged(report, "failed_or_reconciled", failed, outlived);
        assertTrue(flagged(report, "failed_or_reconciled").get(outlived.id()).matches("revoked, then reconciled 2026-03-03T12:30:00Z: the role outlived its credential \\(revoked\\)"),
                flagged(report, "failed_or_reconciled").toString());
    }

    // ---- disabled roles still present ----

    @Test
    void aDisabledRoleThatIsGoneIsNotFlagged() throws Exception {
        String requester = person("dis");
        credential(requester, "lead@acme.example", TUESDAY_10, Duration.ofHours(1)).issued()
                .ended(LedgerEntry.DISABLED, TUESDAY_10.plusSeconds(1800), requester, "manual end: role disabled (owns objects)");
        assertAbsent(json("--requester", requester), "disabled_role_present");
    }

    @Test
    void aDisabledRoleStillInTheDatabaseIsFlagged() throws Exception {
        String requester = person("dis");
        Credential kept = credential(requester, "lead@acme.example", TUESDAY_10, Duration.ofHours(1)).issued()
                .ended(LedgerEntry.DISABLED, TUESDAY_10.plusSeconds(1800), requester, "manual end: role disabled (owns objects)");
        Db.execute("CREATE ROLE " + Sql.ident(kept.role()) + " NOLOGIN");
        try {
            Map<String, Object> report = json("--requester", requester);
            assertFlagged(report, "disabled_role_present", kept);
            assertTrue(flagged(report, "disabled_role_present").get(kept.id()).endsWith("still exists (NOLOGIN)"));
        } finally {
            Db.execute("DROP ROLE " + Sql.ident(kept.role()));
        }
    }

    @Test
    void withoutTheRoleCheckTheLedgerDecides() throws Exception {
        String requester = person("dis");
        Credential kept = credential(requester, "lead@acme.example", TUESDAY_10, Duration.ofHours(1)).issued()
                .ended(LedgerEntry.DISABLED, TUESDAY_10.plusSeconds(1800), requester, "manual end: role disabled (owns objects)");
        Credential dealtWith = credential(requester, "lead@acme.example", TUESDAY_10.plusSeconds(7200), Duration.ofHours(1))
                .issued().ended(LedgerEntry.DISABLED, TUESDAY_10.plusSeconds(9000), requester, "manual end: role disabled");
        dealtWith.ended(LedgerEntry.RECONCILED, TUESDAY_10.plusSeconds(20000), "pg-ephemeral",
                "the role outlived its credential (disabled)");
        Map<String, Object> report = json("--requester", requester, "--no-role-check");
        assertFlagged(report, "disabled_role_present", kept);
        assertTrue(flagged(report, "disabled_role_present").get(kept.id()).contains("not checked"));
    }

    // ---- what the report says about the whole period ----

    @Test
    @SuppressWarnings("unchecked")
    void theSummaryCountsWhoHeldWhatForHowLongAndHowItEnded() throws Exception {
        String requester = person("sum");
        ordinary(requester, "lead@acme.example", TUESDAY_10); // 30 minutes, revoked
        new Credential(ledger, requester, "dba@acme.example", "analytics", "quarterly numbers",
                TUESDAY_10.plusSeconds(3600), Duration.ofHours(2)).issued()
                .ended(LedgerEntry.EXPIRED, TUESDAY_10.plusSeconds(3 * 3600 + 1), "pg-ephemeral", "expired: role dropped");
        // Requested before the period, still open: counted from the period's start to its end.
        new Credential(ledger, requester, "lead@acme.example", "analytics", "long job",
                MONDAY.minus(Duration.ofHours(2)), Duration.ofDays(30)).issued();
        // Ended before the period: not in it.
        ordinary(requester, "lead@acme.example", MONDAY.minus(Duration.ofDays(3)));
        Map<String, Object> report = json("--requester", requester);
        Map<String, Object> s = (Map<String, Object>) report.get("summary");
        assertEquals(3, ((Number) s.get("credentials")).intValue(), s.toString());
        assertEquals(2, ((Number) s.get("approvers")).intValue(), s.toString());
        assertEquals(2, ((Number) s.get("targets")).intValue(), s.toString());
        Map<String, Object> hours = (Map<String, Object>) s.get("access_hours_by_target");
        assertEquals(0.5, ((Number) hours.get("readonly")).doubleValue(), 0.01);
        assertEquals(7 * 24 + 2 - 1 / 3600.0, ((Number) hours.get("analytics")).doubleValue(), 0.02);
        Map<String, Object> ended = (Map<String, Object>) s.get("ended");
        assertEquals(1, ((Number) ended.get("revoked")).intValue());
        assertEquals(1, ((Number) ended.get("expired")).intValue());
        assertEquals(1, ((Number) s.get("open_at_period_end")).intValue());
        Map<String, Object> verify = (Map<String, Object>) ((Map<String, Object>) report.get("header")).get("verify");
        assertEquals(true, verify.get("intact"), verify.toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void aPeriodAboveThePageSizeIsPaginatedAndSaysSo() throws Exception {
        String requester = person("pag");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(ordinary(requester, "lead@acme.example", TUESDAY_10.plus(Duration.ofHours(i))).id());
        }
        Map<String, Object> page2 = json("--requester", requester, "--rows", "3", "--page", "2");
        Map<String, Object> t = (Map<String, Object>) page2.get("timeline");
        assertEquals(2, ((Number) t.get("pages")).intValue());
        Set<String> shown = ((List<Map<String, Object>>) t.get("lanes")).stream()
                .flatMap(l -> ((List<Map<String, Object>>) l.get("credentials")).stream())
                .map(c -> (String) c.get("credential_id")).collect(Collectors.toSet());
        assertEquals(Set.copyOf(ids.subList(3, 5)), shown);
        String html = report("html", "--requester", requester, "--rows", "3").text();
        assertTrue(html.contains("id=\"paginated\"") && html.contains("page 1 of 2"), "the HTML says it is paginated");
        assertEquals(3, count(html, "class=\"bar "), "three bars on the first page");
    }

    static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void badOptionsFailWithOneLineAndWriteNothing() throws Exception {
        for (String[] bad : List.of(new String[] {"--format", "pdf"}, new String[] {"--working-hours", "18-08"},
                new String[] {"--working-days", "MON-FUN"}, new String[] {"--time-zone", "Mars/Olympus"},
                new String[] {"--since", "2026-03-09", "--until", "2026-03-02"}, new String[] {"--near-max-ttl", "0"},
                new String[] {"--max-ttl", "forever"}, new String[] {"--rows", "0"})) {
            Path out = Files.createTempFile("bad", ".html");
            Files.delete(out);
            List<String> args = new ArrayList<>(List.of("ledger", "report", "--schema", ledger.schema(), "--out",
                    out.toString()));
            if (!List.of(bad).contains("--since")) {
                args.addAll(List.of("--since", "2026-03-02", "--until", "2026-03-09"));
            }
            args.addAll(List.of(bad));
            Result r = run(out, args.toArray(String[]::new));
            assertEquals(2, r.exit(), String.join(" ", bad) + ": " + r.stderr());
            assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
            assertTrue(r.stderr().startsWith("ledger report: "), r.stderr());
            assertFalse(Files.exists(out), "nothing written for " + String.join(" ", bad));
        }
    }

    @Test
    void theHeaderNamesTheDatabaseWithoutCredentials() {
        String url = "jdbc:postgresql://kim:hunter2@DB.example.com:6432,replica.example.com/app?password=hunter2&ssl=true";
        assertEquals("db.example.com:6432,replica.example.com:5432/app", DatabaseUrl.describe(url));
        assertEquals("localhost:5432/app", DatabaseUrl.describe("jdbc:postgresql:app?user=x&password=y"));
        assertEquals("db:5432", DatabaseUrl.describe("jdbc:postgresql://db?password=y"));
    }

    // ---- a broken chain ----

    @Test
    @SuppressWarnings("unchecked")
    void aBrokenChainIsSaidPlainlyAndTheExitStatusIsOne() throws Exception {
        try (LedgerCopy broken = new LedgerCopy()) {
            String requester = person("tam");
            for (int i = 0; i < 3; i++) {
                new Credential(broken, requester, "lead@acme.example", "readonly", "ticket", TUESDAY_10.plusSeconds(i * 600),
                        Duration.ofHours(1)).issued().revokedAfter(Duration.ofMinutes(5));
            }
            broken.tamper("UPDATE " + broken.events() + " SET reason = 'nothing to see' WHERE seq = 4");
            Path out = Files.createTempFile("broken", ".html");
            Result r = run(out, "ledger", "report", "--schema", broken.schema(), "--since", "2026-03-02", "--until",
                    "2026-03-09", "--out", out.toString());
            assertEquals(1, r.exit(), r.stderr());
            assertTrue(r.stderr().contains("BROKEN at seq 4"), r.stderr());
            String html = Files.readString(out);
            assertTrue(html.contains("class=\"banner broken\"") && html.contains("THE LEDGER&#39;S HASH CHAIN IS BROKEN")
                    && html.contains("BROKEN at seq 4") && html.contains("within this period"), "the HTML says so");
            Path json = Files.createTempFile("broken", ".json");
            run(json, "ledger", "report", "--schema", broken.schema(), "--since", "2026-03-02", "--until",
                    "2026-03-09", "--format", "json", "--out", json.toString());
            Map<String, Object> verify = (Map<String, Object>) ((Map<String, Object>) env.json()
                    .readValue(Files.readString(json), Map.class).get("header")).get("verify");
            assertEquals(false, verify.get("intact"));
            assertEquals(4, ((Number) verify.get("broken_seq")).intValue());
            assertEquals("within", verify.get("break_relative_to_period"));
            // A later period is just as unverified: its rows come after the break.
            Path after = Files.createTempFile("broken", ".json");
            run(after, "ledger", "report", "--schema", broken.schema(), "--since", "2026-04-01", "--until",
                    "2026-05-01", "--format", "json", "--out", after.toString());
            Map<String, Object> later = (Map<String, Object>) ((Map<String, Object>) env.json()
                    .readValue(Files.readString(after), Map.class).get("header")).get("verify");
            assertEquals("before", later.get("break_relative_to_period"));
            assertEquals(true, later.get("period_affected"));
        }
    }

    // ---- attacker-controlled text ----

    static final String SCRIPT = "<script>console.error('pwned')</script>";
    static final String IMG = "\"><img src=x onerror=\"console.error('img')\">";
    static final String LINK = "[click](javascript:alert(1)) ![x](https://evil.example/t.png) <https://evil.example>";
    static final String BIDI = "ok\u202Egnp.exe";

    @Test
    void ledgerTextCannotBecomeMarkupInHtml() throws Exception {
        String requester = person("mal");
        new Credential(ledger, requester, "lead@acme.example", "readonly", SCRIPT + IMG + LINK + BIDI, TUESDAY_10,
                Duration.ofHours(1)).issued().revokedAfter(Duration.ofMinutes(10));
        String html = report("html", "--requester", requester).text();
        assertFalse(html.toLowerCase(java.util.Locale.ROOT).contains("<script"), "no script element");
        assertFalse(html.toLowerCase(java.util.Locale.ROOT).contains("<img"), "no img element");
        assertFalse(html.contains("\u202E"), "no bidi override");
        assertTrue(html.contains("&lt;script&gt;console.error(&#39;pwned&#39;)&lt;/script&gt;"), "shown as text");
        assertTrue(html.contains("default-src 'none'"), "a policy that forbids scripts and fetches");
    }

    @Test
    void ledgerTextCannotBecomeMarkupInMarkdown() throws Exception {
        String requester = person("mal");
        new Credential(ledger, requester, "lead@acme.example", "readonly", SCRIPT + IMG + LINK + BIDI, TUESDAY_10,
                Duration.ofHours(1)).issued().revokedAfter(Duration.ofMinutes(10));
        String md = report("md", "--requester", requester).text();
        assertFalse(md.contains("<script") || md.contains("<img") || md.contains("<https"), "no raw HTML or autolink");
        assertFalse(md.contains("](javascript:") || md.contains("](https:"), "no link or image syntax");
        assertFalse(md.contains("\u202E"), "no bidi override");
        assertTrue(md.contains("\\[click\\]\\(javascript\\:alert\\(1\\)\\)"), md);
        String lane = md.lines().filter(l -> l.contains("javascript")).findFirst().orElseThrow();
        assertEquals(7, count(lane.replace("\\|", ""), "|"), "the reason's pipes do not add table cells: " + lane);
    }

    @Test
    @SuppressWarnings("unchecked")
    void ledgerTextIsExactInJson() throws Exception {
        String requester = person("mal");
        String reason = SCRIPT + "|" + LINK;
        new Credential(ledger, requester, "lead@acme.example", "readonly", reason, TUESDAY_10,
                Duration.ofHours(1)).issued().revokedAfter(Duration.ofMinutes(10));
        Result r = report("json", "--requester", requester);
        assertFalse(r.text().contains("<script"), "angle brackets escaped");
        Map<String, Object> report = env.json().readValue(r.text(), Map.class);
        Map<String, Object> lane = ((List<Map<String, Object>>) ((Map<String, Object>) report.get("timeline")).get("lanes")).get(0);
        assertEquals(reason, ((List<Map<String, Object>>) lane.get("credentials")).get(0).get("reason"));
        assertNull(((Map<String, Object>) report.get("header")).get("target"));
    }
}
