package io.pgephemeral.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The release archive's launcher, {@code src/dist/bin/pg-ephemeral}, laid out as the archive lays
 * it out (bin/ beside lib/), run with stand-in {@code java} programs that report their version and
 * echo their arguments: which java it picks, the one line when that java is too old or missing,
 * and arguments and exit status passed through untouched. That the real jar runs through it is
 * checked by .ci/run on the built archive.
 */
class LauncherScriptTest {

    private Path root;
    private Path launcher;

    @BeforeEach
    void install() throws IOException {
        root = Files.createTempDirectory("launcher");
        Path bin = Files.createDirectories(root.resolve("pg-ephemeral/bin"));
        Files.createDirectories(root.resolve("pg-ephemeral/lib"));
        launcher = bin.resolve("pg-ephemeral");
        Files.copy(Path.of("src/dist/bin/pg-ephemeral"), launcher);
        executable(launcher);
    }

    @AfterEach
    void remove() throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    record Run(int exit, String stdout, String stderr) {
    }

    /** A java that says it is {@code version} and prints each argument in brackets, then exits 7. */
    private Path fakeJava(String dir, String version) throws IOException {
        Path bin = Files.createDirectories(root.resolve(dir).resolve("bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\n"
                + "if [ \"$1\" = -version ]; then echo 'openjdk version \"" + version + "\" 2024-01-16' >&2; exit 0; fi\n"
                + "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n"
                + "exit 7\n");
        executable(java);
        return root.resolve(dir);
    }

    /** A PATH with only what the launcher needs besides java. */
    private Path tools() throws IOException {
        Path tools = Files.createDirectories(root.resolve("tools"));
        for (String tool : List.of("sed", "dirname", "ls")) {
            if (Files.exists(tools.resolve(tool), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            Path real = Stream.of("/usr/bin", "/bin").map(d -> Path.of(d, tool)).filter(Files::isExecutable)
                    .findFirst().orElseThrow(() -> new AssertionError(tool + " is not installed"));
            Files.createSymbolicLink(tools.resolve(tool), real);
        }
        return tools;
    }

    private Run run(Path script, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out, err);
    }

    private static void executable(Path p) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void runsTheJarWithJavaFromJavaHomePassingArgumentsAndExitStatusThrough() throws Exception {
        Path javaHome = fakeJava("jdk17", "17.0.9");
        Run run = run(launcher, Map.of("JAVA_HOME", javaHome.toString(), "PATH", tools().toString()),
                "creds", "read only", "", "$HOME", "'q' \"d\"", "--exec", "--", "psql", "-c", "select 1;");
        assertEquals(7, run.exit(), run.toString());
        String jar = root.toRealPath().resolve("pg-ephemeral/lib/pg-ephemeral.jar").toString();
        assertEquals(List.of("[-jar]", "[" + jar + "]", "[creds]", "[read only]", "[]", "[$HOME]", "['q' \"d\"]",
                "[--exec]", "[--]", "[psql]", "[-c]", "[select 1;]"), run.stdout().lines().toList());
        assertEquals("", run.stderr());
    }

    @Test
    void findsJavaOnThePathAndTheJarThroughASymbolicLink() throws Exception {
        Path java = fakeJava("jdk21", "21.0.2").resolve("bin");
        Path link = Files.createDirectories(root.resolve("home/bin")).resolve("pg-ephemeral");
        Files.createSymbolicLink(link, launcher);
        Run run = run(link, Map.of("PATH", java + ":" + tools(), "PG_EPHEMERAL_JAVA_OPTS", "-Xmx64m -Dx=y"), "--help");
        assertEquals(7, run.exit(), run.toString());
        String jar = root.toRealPath().resolve("pg-ephemeral/lib/pg-ephemeral.jar").toString();
        assertEquals(List.of("[-Xmx64m]", "[-Dx=y]", "[-jar]", "[" + jar + "]", "[--help]"), run.stdout().lines().toList());
    }

    @Test
    void aJavaOlderThan17IsOneLineThatSaysWhatToDo() throws Exception {
        for (String old : List.of("11.0.22", "1.8.0_392")) {
            Path javaHome = fakeJava("jdk-" + old, old);
            Run run = run(launcher, Map.of("JAVA_HOME", javaHome.toString(), "PATH", tools().toString()), "--help");
            assertEquals(1, run.exit(), run.toString());
            assertEquals("", run.stdout(), "the jar was not run: " + run);
            assertEquals("pg-ephemeral: needs Java 17 or later, but " + javaHome.resolve("bin/java") + " is " + old
                    + ": install Java 17 or later, or set JAVA_HOME to one\n", run.stderr());
        }
    }

    @Test
    void noJavaAtAllIsOneLineThatSaysWhatToDo() throws Exception {
        Run run = run(launcher, Map.of("PATH", tools().toString()), "--help");
        assertEquals(127, run.exit(), run.toString());
        assertEquals("pg-ephemeral: no java found: install Java 17 or later (e.g. apt install openjdk-17-jre-headless,"
                + " brew install openjdk@17) or set JAVA_HOME\n", run.stderr());

        Path empty = Files.createDirectories(root.resolve("not-a-jdk"));
        Run wrongHome = run(launcher, Map.of("PATH", tools().toString(), "JAVA_HOME", empty.toString()), "--help");
        assertEquals(127, wrongHome.exit(), wrongHome.toString());
        assertTrue(wrongHome.stderr().startsWith("pg-ephemeral: JAVA_HOME is " + empty + ", which has no bin/java"),
                wrongHome.toString());
        assertEquals(1, wrongHome.stderr().lines().count());
    }
}
