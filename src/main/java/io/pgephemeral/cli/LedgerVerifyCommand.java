package io.pgephemeral.cli;

import io.pgephemeral.ledger.ChainHash;
import io.pgephemeral.ledger.ChainVerifier;
import io.micronaut.context.annotation.Prototype;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "verify",
        description = {"Walk the hash chain and check every row.", "",
                "Exit status 0 and the number of rows when the chain is intact; 1 and the first broken row, "
                + "with what is wrong with it, when not. --anchor compares with chain heads from the "
                + "broker's log (its 'ledger seq=N ... hash=H' lines), which also catches a truncated "
                + "or wholly rewritten tail. Progress goes to stderr on long runs."},
        mixinStandardHelpOptions = true)
@Prototype // a bean, so that the injection points it inherits are filled
public class LedgerVerifyCommand extends LedgerSubcommand {

    @Option(names = "--anchor", paramLabel = "SEQ:HASH",
            description = "a seq and hash from the broker's log that must be in the chain; repeatable")
    List<String> anchors = new ArrayList<>();

    private final Map<Long, String> logged = new LinkedHashMap<>();

    @Override
    String name() {
        return "verify";
    }

    @Override
    void validate() {
        for (String anchor : anchors) {
            int colon = anchor.indexOf(':');
            String hash = colon < 0 ? "" : anchor.substring(colon + 1);
            try {
                if (!ChainHash.wellFormed(hash)) {
                    throw new NumberFormatException();
                }
                logged.put(Long.parseLong(anchor.substring(0, colon)), hash);
            } catch (NumberFormatException e) {
                throw new LedgerLogin.Unusable("--anchor '" + anchor + "' is not SEQ:HASH (a number, a colon, 64 hex digits)");
            }
        }
    }

    @Override
    int run(Connection ledger) throws Exception {
        long started = System.nanoTime();
        long[] lastReport = {started};
        ChainVerifier.Result result = new ChainVerifier(login.table()).verify(ledger, logged, rows -> {
            long now = System.nanoTime();
            // Quiet for short runs; then a line every two seconds.
            if (now - lastReport[0] >= 2_000_000_000L) {
                lastReport[0] = now;
                System.err.printf("verified %,d rows (%,.0f rows/s)%n", rows, rows / ((now - started) / 1e9));
            }
        });
        double seconds = (System.nanoTime() - started) / 1e9;
        long chained = result.verified();
        String before = result.unchained() == 0 ? "" : "; " + result.unchained()
                + " earlier rows predate the chain and are not covered";
        if (result.intact()) {
            System.out.println("ledger intact: " + chained + " chained row" + (chained == 1 ? "" : "s") + " verified"
                    + (result.head() == null ? "" : ", head seq=" + result.head().seq() + " hash=" + result.head().hash())
                    + before);
            System.err.printf("verified in %.1f s%n", seconds);
            return 0;
        }
        ChainVerifier.Break broken = result.broken();
        System.out.println("ledger BROKEN at seq " + broken.seq() + ": " + broken.problem());
        System.out.println(result.verified() + " chained row(s) intact"
                + (result.head() == null ? "" : ", up to seq " + result.head().seq()) + before);
        return 1;
    }
}
