package io.pgephemeral.cli;

import picocli.CommandLine.Command;

@Command(name = "ledger",
        description = {"Audit the ledger: list and show credentials, export events, verify the hash chain, report a period's access review.", "",
                "Reads only the audit views, so it works with a login that has just ephemeral_auditor. "
                + "Connects like the broker (BROKER_LEDGER_URL or BROKER_DB_URL) unless told otherwise; "
                + "the password comes from PGPASSWORD."},
        mixinStandardHelpOptions = true,
        subcommands = {LedgerListCommand.class, LedgerShowCommand.class, LedgerExportCommand.class,
                LedgerVerifyCommand.class, LedgerReportCommand.class})
public class LedgerCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }
}
