package io.pgephemeral.cli;

import io.pgephemeral.ledger.LedgerExport;
import io.micronaut.context.annotation.Prototype;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Instant;

@Command(name = "export",
        description = {"Write every event of the ledger to stdout, oldest first, hashes included.", "",
                "csv (RFC 4180, header line, CRLF, NULL as an empty field), json (one array) or ndjson (one "
                + "object per line). Streams in constant memory whatever the ledger's size. --since and "
                + "--until select events by the time they were recorded.", "",
                "CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a "
                + "carriage return) are written with a leading single quote (OWASP's rule against CSV "
                + "injection); --raw writes them as stored, e.g. to verify the hashes of a CSV export."},
        mixinStandardHelpOptions = true)
@Prototype // a bean, so that the injection points it inherits are filled
public class LedgerExportCommand extends LedgerSubcommand {

    @Option(names = "--format", defaultValue = "csv", description = "csv, json or ndjson (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--raw", description = "csv: write every value exactly as stored, formulas included (default: "
            + "cells starting with = + - @ tab or CR get a leading ')")
    boolean raw;

    @Option(names = "--since", paramLabel = "TIME", description = "only events recorded at or after TIME")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "only events recorded before TIME")
    String until;

    private LedgerExport.Format chosen;
    private Instant from;
    private Instant to;

    @Override
    String name() {
        return "export";
    }

    @Override
    void validate() {
        try {
            chosen = LedgerExport.Format.of(format);
        } catch (IllegalArgumentException e) {
            throw new LedgerLogin.Unusable("--format '" + format + "' is not csv, json or ndjson");
        }
        from = since == null ? null : Text.parseTime("--since", since);
        to = until == null ? null : Text.parseTime("--until", until);
    }

    @Override
    int run(Connection ledger) throws Exception {
        // Straight to the file descriptor: System.out's PrintStream would swallow write errors.
        Writer out = new BufferedWriter(new OutputStreamWriter(process.stdout(),
                StandardCharsets.UTF_8), 1 << 16);
        long rows = new LedgerExport(login.table(),
                raw ? LedgerExport.CsvCells.RAW : LedgerExport.CsvCells.NEUTRALISED).write(ledger, chosen, from, to, out);
        System.err.println("exported " + rows + " event" + (rows == 1 ? "" : "s"));
        return 0;
    }
}
