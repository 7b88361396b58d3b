package io.pgephemeral.cli;

import io.pgephemeral.testing.Cli;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The demo left the jar; {@code pg-ephemeral demo}, as older guides showed it, says where it went. */
class DemoNoticeTest {

    @Test
    void demoSaysHowToRunItFromASourceCheckout() {
        Cli.Run run = Cli.inProcess(Map.of(), "demo");
        assertEquals(2, run.exit(), run.toString());
        assertEquals(DemoNotice.MESSAGE + "\n", run.stderr(), run.toString());
        assertEquals("", run.stdout(), run.toString());
    }

    @Test
    void theHelpDoesNotOfferIt() {
        Cli.Run run = Cli.inProcess(Map.of(), "--help");
        assertEquals(0, run.exit(), run.toString());
        assertFalse(run.stdout().contains("demo"), run.stdout());
    }
}
