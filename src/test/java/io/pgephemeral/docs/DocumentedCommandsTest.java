package io.pgephemeral.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every command shown in README.md, docs/*.md and infra's READMEs (the guides) is one that CI or a
 * test runs, so a guide cannot drift from what works. Fast: it reads files, runs nothing.
 *
 * <p>A fenced block's info string says what it holds (docs/development.md, "Commands in the
 * guides"): {@code sh} (every line a command), {@code console} (a transcript: the lines after
 * {@code $ } are commands), {@code sh aws-account} (commands that need a real AWS account, which
 * nothing here can run; the line before the block must say so), or one of the non-command kinds.
 * A command is accounted for when {@code .ci/run} has it as a line of its own, or when the test
 * class {@link #RUN_BY} names for it holds it, as a Java string literal, in its source.
 */
class DocumentedCommandsTest {

    private static final String GUIDE = GuideCommandsTest.class.getName();

    /**
     * Commands that a test runs, and the test class that runs each exactly as written (its name:
     * some are package-private elsewhere). Add a command a guide shows here only with a test that
     * runs it.
     */
    static final Map<String, String> RUN_BY = Map.ofEntries(
            Map.entry("PGPASSWORD=... java -jar target/pg-ephemeral.jar migrate --url jdbc:postgresql://db.internal:5432/app --user ledger_owner --writer ephemeral_bot",
                    "io.pgephemeral.ledger.LedgerSetupTest"),
            Map.entry(GuideCommandsTest.LIST_REQUESTER, GUIDE),
            Map.entry(GuideCommandsTest.LIST_APPROVER, GUIDE),
            Map.entry(GuideCommandsTest.LIST_AS_AUDITOR, GUIDE),
            Map.entry(GuideCommandsTest.LIST_ACTIVE, GUIDE),
            Map.entry(GuideCommandsTest.SHOW, GUIDE),
            Map.entry(GuideCommandsTest.EXPORT, GUIDE),
            Map.entry(GuideCommandsTest.VERIFY, GUIDE),
            Map.entry(GuideCommandsTest.VERIFY_COPY, GUIDE),
            Map.entry(GuideCommandsTest.VERIFY_ANCHOR, GUIDE),
            Map.entry(GuideCommandsTest.REPORT, GUIDE),
            Map.entry(GuideCommandsTest.PSQL_CREDENTIALS, GUIDE),
            Map.entry(GuideCommandsTest.PSQL_ACTIVE, GUIDE),
            Map.entry(GuideCommandsTest.PSQL_APPROVERS, GUIDE),
            Map.entry(GuideCommandsTest.PSQL_EVENTS, GUIDE),
            Map.entry(GuideCommandsTest.CREDS_EXEC, GUIDE),
            Map.entry(GuideCommandsTest.CREDS_URI, GUIDE),
            Map.entry(GuideCommandsTest.CREDS_ENV, GUIDE),
            Map.entry(GuideCommandsTest.CREDS_PGPASS, GUIDE),
            Map.entry(GuideCommandsTest.CREDS_NONE, GUIDE));

    private static final Set<String> NOT_COMMANDS = Set.of("text", "json", "sql", "python", "hcl");
    private static final String AWS_ACCOUNT = "sh aws-account";
    private static final Pattern FENCE = Pattern.compile("^```(.*)$");

    /** One command as a guide shows it. */
    record Shown(String file, int line, String command, boolean needsAwsAccount) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + command;
        }
    }

    @Test
    void everyCommandInTheGuidesIsRunByCiOrATest() {
        List<String> problems = new ArrayList<>();
        List<Shown> shown = new ArrayList<>();
        for (Path guide : guides()) {
            shown.addAll(commands(guide, problems));
        }
        assertTrue(shown.size() > 20, "the guides show commands: " + shown);
        List<String> ci = read(Path.of(".ci", "run")).stream().map(String::strip).toList();
        for (Shown s : shown) {
            if (s.needsAwsAccount() || ci.contains(s.command())) {
                continue;
            }
            String test = RUN_BY.get(s.command());
            if (test == null) {
                problems.add(s + "\n    is neither a line of .ci/run nor run by a test listed in DocumentedCommandsTest.RUN_BY");
            } else if (!sourceHolds(test, s.command())) {
                problems.add(s + "\n    " + test + "'s source does not hold it verbatim");
            }
        }
        assertEquals(List.of(), problems, String.join("\n", problems));
    }

    /** The registry names no command that no guide shows any longer. */
    @Test
    void theRegistryListsOnlyCommandsAGuideShows() {
        Set<String> shown = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        for (Path guide : guides()) {
            commands(guide, problems).forEach(s -> shown.add(s.command()));
        }
        Set<String> stale = new TreeSet<>(RUN_BY.keySet());
        stale.removeAll(shown);
        assertEquals(Set.of(), stale, "commands in DocumentedCommandsTest.RUN_BY that no guide shows");
    }

    /** README's two commands are the ones CI runs first and last, character for character. */
    @Test
    void readmesTwoCommandsAreTheFirstItShows() {
        List<String> problems = new ArrayList<>();
        List<Shown> readme = commands(Path.of("README.md"), problems);
        assertEquals(List.of(), problems);
        assertEquals(List.of("mvn -B verify", "mvn -B -DskipTests test-compile exec:java@demo"),
                readme.stream().map(Shown::command).toList());
    }

    /** README is a front page: short, and it links to every guide a newcomer may have come for. */
    @Test
    void readmeIsAFrontPageThatLinksToEveryGuide() {
        List<String> readme = read(Path.of("README.md"));
        assertTrue(readme.size() <= 150, "README has " + readme.size() + " lines; the rest belongs in docs/");
        String text = String.join("\n", readme);
        for (String guide : List.of("sym", "requesters", "auditors", "operators", "benchmark", "design",
                "threat-model", "threat-model-deployment", "development")) {
            assertTrue(text.contains("](docs/" + guide + ".md"), "README links to docs/" + guide + ".md");
        }
    }

    /** The extraction itself, on a guide written for the purpose: what counts as a command. */
    @Test
    void theExtractionFindsCommandsAndRefusesUnlabelledOrHiddenOnes() throws IOException {
        Path guide = Files.createTempFile("guide", ".md");
        try {
            Files.writeString(guide, String.join("\n",
                    "```sh",
                    "mvn -B verify   # a comment",
                    "java -jar target/pg-ephemeral.jar \\",
                    "  --help",
                    "```",
                    "```console",
                    "$ pg-ephemeral ledger verify",
                    "ledger intact",
                    "```",
                    "This needs a real AWS account:",
                    "",
                    "```sh aws-account",
                    "terraform apply",
                    "```",
                    "```sh aws-account",
                    "aws sso login",
                    "```",
                    "```",
                    "echo unlabelled",
                    "```",
                    "```text",
                    "$ echo hidden in a text block",
                    "```", ""));
            List<String> problems = new ArrayList<>();
            List<Shown> found = commands(guide, problems);
            assertEquals(List.of("mvn -B verify", "java -jar target/pg-ephemeral.jar --help",
                    "pg-ephemeral ledger verify", "terraform apply", "aws sso login"),
                    found.stream().map(Shown::command).toList());
            assertEquals(List.of(false, false, false, true, true),
                    found.stream().map(Shown::needsAwsAccount).toList());
            assertEquals(3, problems.size(), String.join("\n", problems));
            assertTrue(problems.get(0).contains("not preceded by a line"), problems.get(0));
            assertTrue(problems.get(1).contains("no info string"), problems.get(1));
            assertTrue(problems.get(2).contains("'$ ' line in a text block"), problems.get(2));
        } finally {
            Files.delete(guide);
        }
    }

    /**
     * Every relative link in README and the guides names a file that exists, and
     * a heading that file has: README's sections moved into docs/, and a link to an anchor that
     * is gone fails silently in a browser.
     */
    @Test
    void everyRelativeLinkFindsItsFileAndHeading() throws IOException {
        List<Path> pages = guides();
        Pattern link = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages) {
            boolean fenced = false;
            List<String> lines = read(page);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.startsWith("```")) {
                    fenced = !fenced;
                    continue;
                }
                if (fenced) {
                    continue;
                }
                Matcher m = link.matcher(line.replaceAll("`[^`]*`", ""));
                while (m.find()) {
                    String target = m.group(1);
                    if (target.matches("^[a-z]+:.*")) {
                        continue;
                    }
                    checked++;
                    String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                    String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
                    Path resolved = file.isEmpty() ? page : page.toAbsolutePath().getParent().resolve(file).normalize();
                    String where = page + ":" + (i + 1) + ": " + target;
                    if (!Files.exists(resolved)) {
                        broken.add(where + " (no such file)");
                    } else if (anchor != null && !anchors(resolved).contains(anchor)) {
                        broken.add(where + " (no such heading)");
                    }
                }
            }
        }
        assertTrue(checked > 30, "links checked: " + checked);
        assertEquals(List.of(), broken, String.join("\n", broken));
    }

    /** GitHub's anchors for a Markdown file's headings. */
    static Set<String> anchors(Path markdown) {
        Set<String> anchors = new TreeSet<>();
        boolean fenced = false;
        for (String line : read(markdown)) {
            if (line.startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced && line.startsWith("#")) {
                String title = line.replaceFirst("^#+\\s*", "").strip().toLowerCase(java.util.Locale.ROOT);
                anchors.add(title.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
            }
        }
        return anchors;
    }

    static List<Path> guides() {
        List<Path> guides = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(guides::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (Stream<Path> infra = Files.walk(Path.of("infra"))) {
            infra.filter(p -> p.getFileName().toString().equals("README.md") && !p.toString().contains(".terraform"))
                    .sorted().forEach(guides::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return guides;
    }

    /** The commands of one guide; what is wrong with its blocks goes to {@code problems}. */
    static List<Shown> commands(Path guide, List<String> problems) {
        List<String> lines = read(guide);
        List<Shown> out = new ArrayList<>();
        String info = null;
        String pending = null;
        int pendingLine = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String where = guide + ":" + (i + 1);
            Matcher fence = FENCE.matcher(line);
            if (info == null) {
                if (fence.matches()) {
                    info = fence.group(1).strip();
                    if (info.isEmpty()) {
                        problems.add(where + ": a fenced block with no info string (sh, console, sh aws-account, "
                                + String.join(", ", new TreeSet<>(NOT_COMMANDS)) + ")");
                    } else if (info.equals(AWS_ACCOUNT) && !previousText(lines, i).contains("real AWS account")) {
                        problems.add(where + ": an sh aws-account block not preceded by a line saying it needs"
                                + " a real AWS account");
                    } else if (!info.equals("sh") && !info.equals("console") && !info.equals(AWS_ACCOUNT)
                            && !NOT_COMMANDS.contains(info)) {
                        problems.add(where + ": unknown info string '" + info + "'");
                    }
                }
                continue;
            }
            if (line.strip().equals("```")) {
                info = null;
                continue;
            }
            boolean shell = info.equals("sh") || info.equals(AWS_ACCOUNT);
            String text;
            if (pending != null) {
                text = pending + " " + line.strip();
            } else if (shell) {
                text = line;
                pendingLine = i + 1;
            } else if (info.equals("console") && line.startsWith("$ ")) {
                text = line.substring(2);
                pendingLine = i + 1;
            } else {
                if (line.startsWith("$ ") && !info.equals("console")) {
                    problems.add(where + ": a '$ ' line in a " + (info.isEmpty() ? "unlabelled" : info)
                            + " block: a command belongs in an sh or console block");
                }
                continue;
            }
            if (text.endsWith("\\")) {
                pending = text.substring(0, text.length() - 1).strip();
                continue;
            }
            pending = null;
            String command = withoutComment(text).strip();
            if (!command.isEmpty()) {
                out.add(new Shown(guide.toString(), pendingLine, command, info.equals(AWS_ACCOUNT)));
            }
        }
        if (info != null) {
            problems.add(guide + ": a fenced block is never closed");
        }
        return out;
    }

    /** Drops a shell comment: a {@code #} at the start or after a blank, outside quotes. */
    static String withoutComment(String line) {
        boolean single = false;
        boolean dbl = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'' && !dbl) {
                single = !single;
            } else if (c == '"' && !single) {
                dbl = !dbl;
            } else if (c == '#' && !single && !dbl && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    private static String previousText(List<String> lines, int fence) {
        for (int i = fence - 1; i >= 0; i--) {
            if (!lines.get(i).isBlank()) {
                return lines.get(i);
            }
        }
        return "";
    }

    /** The test's source holds the command as written, or as a Java string literal writes it. */
    static boolean sourceHolds(String test, String command) {
        Path source = Path.of("src", "test", "java", test.replace('.', '/') + ".java");
        if (!Files.isRegularFile(source)) {
            return false;
        }
        String text = String.join("\n", read(source));
        String literal = command.replace("\\", "\\\\").replace("\"", "\\\"");
        return text.contains("\"" + literal + "\"");
    }

    private static List<String> read(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
